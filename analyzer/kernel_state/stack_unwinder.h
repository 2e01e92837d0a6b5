// StackUnwinder: a kernel stack from a starting register set (a CPU's NT_PRSTATUS, a sleeping
// task's switch frame). x86-64: ORC, the kernel's own unwind tables read from the dump, as the
// kernel itself unwinds; where ORC has no entry and the vmlinux is at hand, one frame of its DWARF
// CFI (libdwfl, the dump's memory serving its reads). arm64: frame records. Each frame says which
// method found it; the trace says why it ended.
#pragma once

#include <array>
#include <map>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/dump_kallsyms.h"
#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/kernel_modules.h"
#include "analyzer/kernel_state/task_list.h"

namespace ktriage::kernel {

// A register set by DWARF number (KernelArch::registers; x86-64: rax rdx rcx rbx rsi rdi rbp rsp
// r8..r15, then rip as 16; arm64: x0..x30, sp as 31, then pc as 32).
using DwarfRegisters = std::array<std::optional<uint64_t>, 33>;

// From libkdumpfile's register names ("rip", "rsp", "r12"...), by the architecture's table.
DwarfRegisters RegistersFromNames(const KernelArch& arch, const std::map<std::string, uint64_t>& named);

struct StackFrame {
  uint64_t pc = 0;
  uint64_t sp = 0;
  bool exact_pc = false;      // the interrupted or stopped PC itself, not a return address
  std::string method;         // "registers", "orc", "pt_regs", "cfi"; arm64: "fp", "lr", "pt_regs"
};

struct Backtrace {
  std::vector<StackFrame> frames;
  std::string end;            // why it ended: "end of stack", "user mode", or where it stopped and why
  bool complete = false;      // reached the stack's bottom (kernel thread start or user mode)
};

class StackUnwinder {
 public:
  // `vmlinux`: the dump's own build (the caller checked the build-id), "" for none. `kallsyms`:
  // the dump's own symbols, which name frames as the kernel's %pS does (null: the vmlinux's).
  static Result<std::unique_ptr<StackUnwinder>> Create(const KernelContext& kernel, const ModuleList& modules,
                                                       const std::string& vmlinux, DumpKallsyms* kallsyms = nullptr);
  ~StackUnwinder();
  StackUnwinder(const StackUnwinder&) = delete;
  StackUnwinder& operator=(const StackUnwinder&) = delete;

  // `start_exact`: start's PC is where the CPU was (a crash, an interrupt), not a return address.
  Backtrace Unwind(const DwarfRegisters& start, size_t max_frames = 96, bool start_exact = true);
  // The function at `pc` (a module's kallsyms, the dump's kallsyms, vmlinux's symbols); none when
  // unknown. `exact`:
  // `pc` is not a return address (a return address is named by the call before it). The offset
  // is the PC's own, as the kernel prints it.
  std::optional<CodeSymbol> Describe(uint64_t pc, bool exact);
  // The variable at `address` (a module's own symbols, then the dump's kallsyms, which list
  // variables where the kernel has CONFIG_KALLSYMS_ALL); none when it is not inside a known one.
  std::optional<CodeSymbol> DescribeData(uint64_t address);
  // A task that is not running: from its thread.sp's inactive_task_frame.
  Result<Backtrace> UnwindSleeping(const TaskInfo& task, size_t max_frames = 96);

 private:
  StackUnwinder(const KernelContext& kernel, const ModuleList& modules);
  ModuleSymbols module_symbols_;
  DumpKallsyms* kallsyms_ = nullptr;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ktriage::kernel
