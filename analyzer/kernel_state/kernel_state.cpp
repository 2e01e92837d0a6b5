// KernelState: the sources first (build-id check of a vmlinux, then the dump's kallsyms and BTF,
// each failure kept as the reason), then modules and the unwinder; tasks on first use.
#include "analyzer/kernel_state/kernel_state.h"

#include "analyzer/kernel_state/btf_types.h"
#include "analyzer/kernel_state/dump_btf.h"
#include "analyzer/kernel_state/dwarf_types.h"

namespace ktriage::kernel {

KernelContext ContextOfDump(const VmcoreInfo& info, MemoryReader& memory, KernelTypes& types, KernelSymbols& symbols,
                            const KernelArch& arch) {
  return KernelContext{memory, types, symbols, arch, info.kernel_offset.value_or(0), info.osrelease,
                       static_cast<uint64_t>(info.Number("KERNELPACMASK").value_or(0))};
}

KernelContext ContextOfDump(DumpFile& dump, KernelTypes& types, KernelSymbols& symbols, const KernelArch& arch) {
  return ContextOfDump(dump.vmcoreinfo(), dump, types, symbols, arch);
}

KernelState::~KernelState() = default;

Result<std::unique_ptr<KernelState>> KernelState::Open(DumpFile& dump, const KernelSources& sources) {
  return Open(dump, dump, sources);
}

Result<std::unique_ptr<KernelState>> KernelState::Open(DumpFile& dump, MemoryReader& memory, const KernelSources& sources) {
  // Before anything is read: the walks are written for the architectures KernelArch describes.
  if (std::optional<std::string> why = WhyNotWalkable(dump.facts().arch)) return Error{*why};
  const KernelArch& arch = *FindKernelArch(dump.facts().arch);
  const VmcoreInfo& info = dump.vmcoreinfo();
  const int64_t kernel_offset = info.kernel_offset.value_or(0);
  std::unique_ptr<KernelState> s(new KernelState());
  s->dump_ = &dump;
  s->vmlinux_ = sources.vmlinux;

  if (!sources.vmlinux.empty()) {
    Result<VmlinuxSymbols> symbols = VmlinuxSymbols::Open(sources.vmlinux);
    if (!symbols) return symbols.error();
    const std::string& want = info.build_id;
    if (!want.empty() && !symbols->build_id().empty() && symbols->build_id().rfind(want, 0) != 0 &&
        want.rfind(symbols->build_id(), 0) != 0) {
      return Error{sources.vmlinux + " is build " + symbols->build_id() + ", the dump's kernel is build " + want +
                   ": its types and addresses describe another kernel, so the deep analyses are not run"};
    }
    s->elf_symbols_ = std::make_unique<VmlinuxSymbols>(std::move(*symbols));
  }
  Result<std::unique_ptr<DumpKallsyms>> kallsyms = DumpKallsyms::Load(memory, info);
  if (kallsyms) s->kallsyms_ = std::move(*kallsyms);
  KernelSymbols* symbols = s->elf_symbols_ ? static_cast<KernelSymbols*>(s->elf_symbols_.get()) : s->kallsyms_.get();
  if (symbols == nullptr) return Error{"no symbols: no vmlinux, and " + kallsyms.error().message};
  if (symbols == s->kallsyms_.get()) {
    // Every walk starts from a variable (init_task, modules, init_net, runqueues).
    Result<std::optional<uint64_t>> root = s->kallsyms_->Find("init_task");
    if (!root) return Error{"no vmlinux, and " + root.error().message};
    if (!*root) {
      return Error{"no vmlinux, and the dump's kallsyms names functions only (a kernel built without "
                   "CONFIG_KALLSYMS_ALL): the variables the walks start from (init_task, modules, init_net) "
                   "and its BTF (__start_BTF) cannot be found without the vmlinux"};
    }
  }

  // Types: the dump's BTF (it is the running kernel's by construction), else the vmlinux's DWARF.
  std::optional<Error> btf_error;
  BtfTypes* btf_types = nullptr;  // when the BTF serves: the modules' BTF goes on top of it
  if (sources.types != TypeSourceChoice::kDwarf) {
    Result<std::unique_ptr<BtfTypes>> btf = ReadKernelBtf(memory, *symbols, arch, kernel_offset);
    if (btf) {
      btf_types = btf->get();
      s->types_ = std::move(*btf);
    } else {
      btf_error = btf.error();
      if (sources.types == TypeSourceChoice::kBtf) return *btf_error;
    }
  }
  if (!s->types_) {
    if (sources.vmlinux.empty()) {
      return Error{"no types: no vmlinux with DWARF" + (btf_error ? ", and " + btf_error->message : std::string())};
    }
    const std::string& build = s->elf_symbols_->build_id();
    Result<std::unique_ptr<DwarfTypes>> dwarf = DwarfTypes::Open(
        sources.vmlinux, sources.cache_dir.empty() || build.empty() ? "" : sources.cache_dir + "/" + build + ".types");
    if (!dwarf) return dwarf.error();
    s->types_ = std::move(*dwarf);
    if (btf_error) s->notes_.push_back("the dump's BTF is not used: " + btf_error->message);
  }
  s->context_ = std::make_unique<KernelContext>(ContextOfDump(info, memory, *s->types_, *symbols, arch));
  s->modules_ = ReadModules(*s->context_);
  if (btf_types != nullptr) AddModuleBtf(*s->context_, s->modules_, *btf_types, s->notes_);
  Result<std::unique_ptr<StackUnwinder>> unwinder =
      StackUnwinder::Create(*s->context_, s->modules_, sources.vmlinux, s->kallsyms_.get());
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
  Result<uint64_t> rq = k.PerCpu("runqueues", cpu);
  Result<uint64_t> curr = k.types.Offset("rq", "curr");
  if (!rq || !curr) return std::nullopt;
  Result<uint64_t> task = k.memory.ReadU64(*rq + *curr);
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
