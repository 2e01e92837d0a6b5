// KernelArch: what the walks of a dump's kernel state need to know about its architecture, in one
// place per architecture: register names and DWARF numbers, the pt_regs members, where vmlinux is
// linked, which unwind tables the kernel keeps, and whether ktriage can walk it yet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ktriage::kernel {

struct KernelArch {
  std::string_view name;  // libkdumpfile's arch.name ("x86_64", "aarch64")
  // By DWARF register number: the register's name in libkdumpfile's cpu.N.reg.* and the pt_regs
  // member that exception entry saves it in ("" for none).
  struct Register {
    std::string_view dump_name;
    std::string_view pt_regs_member;
  };
  std::vector<Register> registers;
  unsigned pc = 0;  // DWARF numbers of the PC, the stack pointer and the frame pointer
  unsigned sp = 0;
  unsigned fp = 0;
  std::optional<unsigned> link_register;  // arm64 x30: where a call leaves its return address
  // Symbols linked below this are per-CPU offsets (x86-64 links .data..percpu at 0), which KASLR
  // does not move; everything at or above it moves with the image by KERNELOFFSET.
  uint64_t percpu_link_limit = 0;
  bool orc = false;  // the kernel keeps ORC unwind tables (x86-64 with CONFIG_UNWINDER_ORC)
  // How stacks are walked: x86-64 kernels keep no frame pointer (ORC replaced it), so DWARF CFI
  // and ORC; arm64 kernels always link frame records ({x29, x30} pairs, AAPCS64 6.4.6), which the
  // kernel's own unwinder follows, through exception entry and onto the IRQ stack.
  enum class StackWalk { kOrcThenCfi, kFrameRecords };
  StackWalk stack_walk = StackWalk::kOrcThenCfi;
  // Where a task that is not running keeps its stack pointer, and (where the switch code saves
  // them in the task rather than on the stack) its frame pointer and PC: task_struct paths.
  std::string_view saved_sp_member;
  std::string_view saved_fp_member;
  std::string_view saved_pc_member;
  // Exception entry: a return address into a function so named (kallsyms) means the next frame
  // record is the one inside the pt_regs that entry saved (arm64: pt_regs.stackframe).
  bool (*is_exception_entry)(std::string_view function) = nullptr;
  // Bytes of a task's kernel stack from task->stack (THREAD_SIZE: 16 KiB on both, without KASAN).
  uint64_t thread_size = 16384;
  // The saved register holding the interrupt mask, and its bit: x86-64 RFLAGS.IF (set: enabled),
  // arm64 PSTATE.I (set: masked).
  std::string_view flags_register;
  uint64_t irq_bit = 0;
  bool irq_bit_means_disabled = false;
  // Where the preemption count of a CPU is: a per-CPU variable's member on x86-64 (tried in
  // order: pcpu_hot.preempt_count from 6.2, __preempt_count before; bit 31 is the inverted
  // need-resched flag), the running task's thread_info on arm64.
  struct PerCpuField {
    std::string_view symbol;  // the per-CPU variable
    std::string_view type;    // its struct, "" when the variable is the count itself
    std::string_view member;
  };
  std::vector<PerCpuField> preempt_count_percpu;
  std::string_view preempt_count_task_member;
  // Non-empty: why stacks and the other walks of kernel data cannot run on this architecture yet.
  std::string_view not_walkable;
};

// The description of `name` (libkdumpfile's arch.name, or `uname -m`: "x86_64", "aarch64",
// "arm64"); nullopt for an architecture ktriage knows nothing of.
const KernelArch* FindKernelArch(std::string_view name);

// `address` with pointer-authentication bits removed: a kernel address (bit 55 set) gets them
// set, as the hardware's XPAC does; others cleared. `pac_mask` 0 leaves it as it is.
uint64_t StripPointerAuth(uint64_t address, uint64_t pac_mask);

// Why bt, net and the deep analyses cannot run on a dump of `arch`, one line; nullopt when they can.
std::optional<std::string> WhyNotWalkable(std::string_view arch);

}  // namespace ktriage::kernel
