// KernelState: the deep view of one dump: types, symbols, modules, tasks and stacks, opened once
// and shared by `ktriage bt`, `ktriage net` and the deep analyses of `ktriage analyze`. It needs
// no debuginfo: the dump's own BTF gives the types and its kallsyms the symbols; a vmlinux of the
// same build, when there is one, adds its DWARF (types for a kernel without BTF, CFI where ORC
// has no entry).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/dump_kallsyms.h"
#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/kernel_modules.h"
#include "analyzer/kernel_state/stack_unwinder.h"
#include "analyzer/kernel_state/task_list.h"
#include "analyzer/kernel_state/vmlinux_symbols.h"
#include "analyzer/vmcore/dump_file.h"

namespace ktriage::kernel {

// Where the types come from. kAuto: the dump's BTF, else the vmlinux's DWARF.
enum class TypeSourceChoice { kAuto, kBtf, kDwarf };

struct KernelSources {
  std::string vmlinux;    // the dump's own vmlinux with DWARF; "" when none was found
  std::string cache_dir;  // where the DWARF type index of each build is kept ("" for nowhere)
  TypeSourceChoice types = TypeSourceChoice::kAuto;
};

class KernelState {
 public:
  // Errors: a dump of an architecture the walks do not support yet (KernelArch says why), a
  // vmlinux whose build-id is not the dump's VMCOREINFO BUILD-ID (its types and addresses would
  // describe another kernel), or no source of types or symbols (each missing one says why: no
  // vmlinux, no BTF in the kernel, its pages filtered out of the dump, no kallsyms in VMCOREINFO).
  static Result<std::unique_ptr<KernelState>> Open(DumpFile& dump, const KernelSources& sources);
  // The same, with the dump's memory read through `memory` (which must outlive the result).
  static Result<std::unique_ptr<KernelState>> Open(DumpFile& dump, MemoryReader& memory, const KernelSources& sources);
  ~KernelState();

  const KernelContext& context() const { return *context_; }
  const ModuleList& modules() const { return modules_; }
  StackUnwinder& unwinder() { return *unwinder_; }
  const std::string& vmlinux() const { return vmlinux_; }
  KernelTypes& types() { return *types_; }
  // "BTF of the dump", "DWARF of /usr/lib/debug/...": what the walks read the layouts from.
  const std::string& type_source() const { return types_->source(); }
  std::string symbol_source() const { return context_->symbols.source(); }
  // Why a source was not used (the dump's BTF when the DWARF was taken instead, a module's BTF).
  const std::vector<std::string>& notes() const { return notes_; }

  // Read on first use.
  const TaskListResult& Tasks();
  // The task a CPU was running (runqueues.curr), when readable.
  std::optional<uint64_t> CurrentTask(int cpu);
  // The task's stack: a running task's from its CPU's registers, another's from its switch frame.
  Result<Backtrace> TaskBacktrace(const TaskInfo& task);
  Backtrace CpuBacktrace(const CpuState& cpu);

 private:
  KernelState() = default;
  DumpFile* dump_ = nullptr;
  std::string vmlinux_;
  std::unique_ptr<KernelTypes> types_;
  std::unique_ptr<VmlinuxSymbols> elf_symbols_;
  std::unique_ptr<DumpKallsyms> kallsyms_;
  std::unique_ptr<KernelContext> context_;
  ModuleList modules_;
  std::unique_ptr<StackUnwinder> unwinder_;
  std::optional<TaskListResult> tasks_;
  std::vector<std::string> notes_;
};

}  // namespace ktriage::kernel
