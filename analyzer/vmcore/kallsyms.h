// Kallsyms: the kernel's own symbol table, decoded from the dump through the kallsyms_* symbols
// that recent kernels export in VMCOREINFO, to name addresses when no debuginfo is at hand.
#pragma once

#include <array>
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

// Names stay token-compressed as the kernel keeps them and are expanded when asked for: a dump
// is usually asked about a handful of addresses, and expanding all ~10^5 names cost most of
// `analyze`.
class Kallsyms {
 public:
  // Needs SYMBOL(kallsyms_names), kallsyms_num_syms, kallsyms_token_table, kallsyms_token_index,
  // and kallsyms_offsets + kallsyms_relative_base (or kallsyms_addresses). Errors say which is
  // missing, or what is corrupt: every name's length and expansion is checked here, once.
  static Result<Kallsyms> Load(MemoryReader& memory, const VmcoreInfo& info);

  std::optional<SymbolLocation> Lookup(uint64_t address) const;
  std::optional<uint64_t> AddressOf(std::string_view name) const;
  size_t size() const { return addresses_.size(); }

 private:
  // The type letter and name of table entry `entry` (kernel order), expanded.
  std::string Expand(uint32_t entry) const;
  // Entry `entry` in kernel order, for position `position` in address order.
  uint32_t EntryAt(size_t position) const { return order_.empty() ? static_cast<uint32_t>(position) : order_[position]; }

  std::vector<uint64_t> addresses_;        // in address order
  std::vector<uint32_t> order_;            // address order -> kernel order; empty when they agree (always, in practice)
  std::vector<uint8_t> encoded_;           // the names' token bytes, length prefixes dropped
  std::vector<uint32_t> encoded_start_;    // entry -> its first byte in encoded_; one more at the end
  std::array<std::string, 256> tokens_;
};

}  // namespace ktriage
