// KernelState: the deep view of one dump with its vmlinux: types, symbols, modules, tasks and
// stacks, opened once (after checking that the vmlinux is the dump's own build) and shared by
// `ktriage bt`, `ktriage net` and the deep analyses of `ktriage analyze`.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/kernel_modules.h"
#include "analyzer/kernel_state/stack_unwinder.h"
#include "analyzer/kernel_state/task_list.h"
#include "analyzer/vmcore/dump_file.h"

namespace ktriage::kernel {

class KernelState {
 public:
  // Errors: a dump of an architecture the walks do not support yet (KernelArch says why), a
  // vmlinux without DWARF or symbols, or one whose build-id is not the dump's VMCOREINFO BUILD-ID
  // (its types and addresses would describe another kernel).
  // `cache_dir`: where the type index of each build is kept between runs ("" for nowhere).
  static Result<std::unique_ptr<KernelState>> Open(DumpFile& dump, const std::string& vmlinux,
                                                   const std::string& cache_dir = "");
  ~KernelState();

  const KernelContext& context() const { return *context_; }
  const ModuleList& modules() const { return modules_; }
  StackUnwinder& unwinder() { return *unwinder_; }
  const std::string& vmlinux() const { return vmlinux_; }

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
  std::optional<VmlinuxSymbols> symbols_;
  std::unique_ptr<KernelContext> context_;
  ModuleList modules_;
  std::unique_ptr<StackUnwinder> unwinder_;
  std::optional<TaskListResult> tasks_;
};

}  // namespace ktriage::kernel
