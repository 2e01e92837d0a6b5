// DumpKallsyms: Kallsyms behind the KernelSymbols interface, with its names indexed on first use.
#include "analyzer/kernel_state/dump_kallsyms.h"

namespace ktriage::kernel {

Result<std::unique_ptr<DumpKallsyms>> DumpKallsyms::Load(MemoryReader& memory, const VmcoreInfo& info) {
  Result<Kallsyms> table = Kallsyms::Load(memory, info);
  if (!table) return Error{"kallsyms: " + table.error().message};
  return std::unique_ptr<DumpKallsyms>(new DumpKallsyms(std::move(*table)));
}

Result<std::optional<uint64_t>> DumpKallsyms::Find(std::string_view name) {
  if (!indexed_) indexed_ = table_.IndexNames();
  if (!indexed_->ok()) return Error{"the dump's kallsyms cannot be read: " + indexed_->error().message};
  return table_.AddressOfOrError(name);
}

Result<uint64_t> DumpKallsyms::Address(std::string_view name) {
  Result<std::optional<uint64_t>> found = Find(name);
  if (!found) return found.error();
  if (!*found) return Error{"no symbol " + std::string(name) + " in the dump's kallsyms"};
  return **found;
}

}  // namespace ktriage::kernel
