// DumpKallsyms: the kernel's own symbol table read from the dump (Kallsyms), as the symbol source
// of an analysis without a vmlinux: addresses by name for the walks, names for code addresses.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "analyzer/kernel_state/kernel_symbols.h"
#include "analyzer/vmcore/kallsyms.h"

namespace ktriage::kernel {

class DumpKallsyms final : public KernelSymbols {
 public:
  // Errors: VMCOREINFO does not locate kallsyms, or its tables are unreadable (Kallsyms::Load).
  // `memory` must outlive the result.
  static Result<std::unique_ptr<DumpKallsyms>> Load(MemoryReader& memory, const VmcoreInfo& info);

  // The first name asked decodes every name once (~50 ms on a distribution kernel).
  Result<uint64_t> Address(std::string_view name) override;
  // Nullopt: the table has no such name; an error: the table cannot be read.
  Result<std::optional<uint64_t>> Find(std::string_view name);
  bool relocated() const override { return true; }
  std::string source() const override { return "the dump's kallsyms"; }

  // The symbol holding a code address, named as the kernel's %pS names it.
  std::optional<SymbolLocation> Lookup(uint64_t address) { return table_.Lookup(address); }

 private:
  explicit DumpKallsyms(Kallsyms table) : table_(std::move(table)) {}
  Kallsyms table_;
  std::optional<Status> indexed_;
};

}  // namespace ktriage::kernel
