// The architecture table. DWARF numbers: the psABI of each architecture (x86-64 SysV psABI 3.6.2;
// AAPCS64 DWARF for the Arm 64-bit Architecture 4.1); pt_regs members: arch/*/include/asm/ptrace.h.
#include "analyzer/kernel_state/kernel_arch.h"

namespace ktriage::kernel {
namespace {

KernelArch X86_64() {
  KernelArch a;
  a.name = "x86_64";
  a.registers = {{"rax", "ax"}, {"rdx", "dx"}, {"rcx", "cx"}, {"rbx", "bx"}, {"rsi", "si"},   {"rdi", "di"},
                 {"rbp", "bp"}, {"rsp", "sp"}, {"r8", "r8"},  {"r9", "r9"},  {"r10", "r10"}, {"r11", "r11"},
                 {"r12", "r12"}, {"r13", "r13"}, {"r14", "r14"}, {"r15", "r15"}, {"rip", "ip"}};
  a.pc = 16;
  a.sp = 7;
  a.fp = 6;
  a.percpu_link_limit = 0xffffffff80000000;  // __START_KERNEL_map: the image; per-CPU data below
  a.orc = true;
  a.stack_walk = KernelArch::StackWalk::kOrcThenCfi;
  a.saved_sp_member = "thread.sp";  // the rest is on the stack, in struct inactive_task_frame
  a.flags_register = "rflags";
  a.irq_bit = 1u << 9;  // IF
  a.irq_bit_means_disabled = false;
  a.preempt_count_percpu = {{"pcpu_hot", "pcpu_hot", "preempt_count"}, {"__preempt_count", "", ""}};
  return a;
}

// The vector stubs of arch/arm64/kernel/entry.S: el1h_64_irq, el0t_64_sync, el0t_32_irq (5.12+),
// el1_irq, el0_sync, el0_irq_compat (before); not their C handlers (el1h_64_irq_handler).
bool IsArm64ExceptionEntry(std::string_view f) {
  if (f.size() < 7 || (f.substr(0, 3) != "el0" && f.substr(0, 3) != "el1")) return false;
  if (f.size() > 7 && f.substr(f.size() - 7) == "_compat") f.remove_suffix(7);
  for (std::string_view kind : {"_sync", "_irq", "_fiq", "_error"}) {
    if (f.size() > kind.size() && f.substr(f.size() - kind.size()) == kind) {
      // Between "elN" and the kind: nothing, "t_64", "h_64", "t_32" (or "_" alone before 5.12).
      std::string_view middle = f.substr(3, f.size() - 3 - kind.size());
      return middle.empty() || middle == "t_64" || middle == "h_64" || middle == "t_32" || middle == "h_32";
    }
  }
  return false;
}

KernelArch Aarch64() {
  KernelArch a;
  a.name = "aarch64";
  for (int i = 0; i < 31; ++i) {
    static const char* const kNames[31] = {"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10",
                                           "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
                                           "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30"};
    a.registers.push_back({kNames[i], ""});  // struct pt_regs keeps them as regs[i]
  }
  a.registers.push_back({"sp", "sp"});  // 31
  a.registers.push_back({"pc", "pc"});  // 32: not a DWARF register; the unwinder's PC slot
  a.pc = 32;
  a.sp = 31;
  a.fp = 29;
  a.link_register = 30;
  a.percpu_link_limit = 0;  // per-CPU variables are linked inside the image
  a.orc = false;
  a.stack_walk = KernelArch::StackWalk::kFrameRecords;
  // cpu_switch_to saves x19-x28, fp, sp and lr (as pc) in thread.cpu_context.
  a.saved_sp_member = "thread.cpu_context.sp";
  a.saved_fp_member = "thread.cpu_context.fp";
  a.saved_pc_member = "thread.cpu_context.pc";
  a.is_exception_entry = &IsArm64ExceptionEntry;
  a.flags_register = "pstate";
  a.irq_bit = 1u << 7;  // PSTATE.I
  a.irq_bit_means_disabled = true;
  a.preempt_count_task_member = "thread_info.preempt_count";
  return a;
}

}  // namespace

uint64_t StripPointerAuth(uint64_t address, uint64_t pac_mask) {
  if (pac_mask == 0) return address;
  return (address >> 55) & 1 ? address | pac_mask : address & ~pac_mask;
}

const KernelArch* FindKernelArch(std::string_view name) {
  static const KernelArch x86_64 = X86_64();
  static const KernelArch aarch64 = Aarch64();
  if (name == "x86_64" || name == "amd64") return &x86_64;
  if (name == "aarch64" || name == "arm64") return &aarch64;
  return nullptr;
}

std::optional<std::string> WhyNotWalkable(std::string_view arch) {
  const KernelArch* a = FindKernelArch(arch);
  if (a == nullptr) {
    return "kernel stacks and data walks of " + std::string(arch.empty() ? "this architecture" : arch) +
           " dumps are not supported (the log, kallsyms and reports are)";
  }
  if (!a->not_walkable.empty()) return std::string(a->not_walkable);
  return std::nullopt;
}

}  // namespace ktriage::kernel
