// Kallsyms: the kernel's own symbol table, decoded from the dump through the kallsyms_* symbols
// that recent kernels export in VMCOREINFO, to name addresses when no debuginfo is at hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/vmcore/memory_reader.h"
#include "analyzer/vmcore/vmcoreinfo.h"
#include "base/result.h"

namespace ktriage {

struct SymbolLocation {
  std::string name;
  uint64_t address = 0;   // start of the symbol
  uint64_t offset = 0;    // queried address - start
  uint64_t size = 0;      // distance to the next symbol, as the kernel's %pS prints it
  char type = 't';        // kallsyms type letter
};

class Kallsyms {
 public:
  // Needs SYMBOL(kallsyms_names), kallsyms_num_syms, kallsyms_token_table, kallsyms_token_index,
  // and kallsyms_offsets + kallsyms_relative_base (or kallsyms_addresses). Errors say which is missing.
  static Result<Kallsyms> Load(MemoryReader& memory, const VmcoreInfo& info);

  std::optional<SymbolLocation> Lookup(uint64_t address) const;
  std::optional<uint64_t> AddressOf(std::string_view name) const;
  size_t size() const { return addresses_.size(); }

 private:
  std::vector<uint64_t> addresses_;  // sorted
  std::vector<std::string> names_;
  std::vector<char> types_;
};

}  // namespace ktriage
