// KernelState: opening (build-id check first: it is cheap and says the most), then lazy walks.
#include "analyzer/kernel_state/kernel_state.h"

namespace ktriage::kernel {

KernelContext ContextOfDump(DumpFile& dump, KernelTypes& types, const VmlinuxSymbols& symbols, const KernelArch& arch) {
  const VmcoreInfo& info = dump.vmcoreinfo();
  return KernelContext{dump, types, symbols, arch, info.kernel_offset.value_or(0), info.osrelease,
                       static_cast<uint64_t>(info.Number("KERNELPACMASK").value_or(0))};
}

KernelState::~KernelState() = default;

Result<std::unique_ptr<KernelState>> KernelState::Open(DumpFile& dump, const std::string& vmlinux,
                                                        const std::string& cache_dir) {
  // Before anything is read: the walks are written for the architectures KernelArch describes.
  if (std::optional<std::string> why = WhyNotWalkable(dump.facts().arch)) return Error{*why};
  const KernelArch& arch = *FindKernelArch(dump.facts().arch);
  std::unique_ptr<KernelState> s(new KernelState());
  s->dump_ = &dump;
  s->vmlinux_ = vmlinux;
  Result<VmlinuxSymbols> symbols = VmlinuxSymbols::Open(vmlinux);
  if (!symbols) return symbols.error();
  const std::string& want = dump.vmcoreinfo().build_id;
  if (!want.empty() && !symbols->build_id().empty() && symbols->build_id().rfind(want, 0) != 0 &&
      want.rfind(symbols->build_id(), 0) != 0) {
    return Error{vmlinux + " is build " + symbols->build_id() + ", the dump's kernel is build " + want +
                 ": its types and addresses describe another kernel, so the deep analyses are not run"};
  }
  s->symbols_ = std::move(*symbols);
  const std::string& build = s->symbols_->build_id();
  Result<std::unique_ptr<KernelTypes>> types =
      KernelTypes::Open(vmlinux, cache_dir.empty() || build.empty() ? "" : cache_dir + "/" + build + ".types");
  if (!types) return types.error();
  s->types_ = std::move(*types);
  s->context_ = std::make_unique<KernelContext>(ContextOfDump(dump, *s->types_, *s->symbols_, arch));
  s->modules_ = ReadModules(*s->context_);
  Result<std::unique_ptr<StackUnwinder>> unwinder = StackUnwinder::Create(*s->context_, s->modules_, vmlinux);
  if (!unwinder) return unwinder.error();
  s->unwinder_ = std::move(*unwinder);
  return s;
}

const TaskListResult& KernelState::Tasks() {
  if (!tasks_) tasks_ = ReadTasks(*context_);
  return *tasks_;
}

std::optional<uint64_t> KernelState::CurrentTask(int cpu) {
  const KernelContext& k = *context_;
  Result<uint64_t> offsets = k.Symbol("__per_cpu_offset"), runqueues = k.Symbol("runqueues");
  Result<uint64_t> curr = k.types.Offset("rq", "curr");
  if (!offsets || !runqueues || !curr || cpu < 0) return std::nullopt;
  Result<uint64_t> base = k.memory.ReadU64(*offsets + 8 * static_cast<uint64_t>(cpu));
  if (!base) return std::nullopt;
  Result<uint64_t> task = k.memory.ReadU64(*runqueues + *base + *curr);
  if (!task || *task == 0) return std::nullopt;
  return *task;
}

Backtrace KernelState::CpuBacktrace(const CpuState& cpu) {
  return unwinder_->Unwind(RegistersFromNames(context_->arch, cpu.registers));
}

Result<Backtrace> KernelState::TaskBacktrace(const TaskInfo& task) {
  if (task.on_cpu || task.state == 'R') {
    for (const CpuState& cpu : dump_->facts().cpus) {
      if (cpu.cpu == task.cpu && CurrentTask(cpu.cpu) == task.address) return CpuBacktrace(cpu);
    }
  }
  return unwinder_->UnwindSleeping(task);
}

}  // namespace ktriage::kernel
