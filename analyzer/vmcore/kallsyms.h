// Kallsyms: the kernel's own symbol table, read in place from the dump through the kallsyms_*
// symbols that recent kernels export in VMCOREINFO, to name addresses when no debuginfo is at hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

// A dump is asked about a handful of addresses (each CPU's PC), and on a compressed dump every
// page read costs an inflate, so the ~1.5 MB of tables are not decoded up front: a lookup binary
// searches kallsyms_offsets and expands one name, as the kernel's own kallsyms_lookup() does in
// memory, reading 8 or 9 pages on our 6.1 dumps (about 0.3 ms), not all ~360.
//
// Keeps a pointer to the MemoryReader given to Load, which must outlive it (in ReadVmcore the
// DumpFile does); hence move-only. Lookups read the dump and fill caches, hence non-const, and can
// fail after Load (a page missing from the dump, a corrupt name): the *OrError forms say why, the
// plain forms answer "no symbol" instead.
class Kallsyms {
 public:
  // What the table has cost so far, and which way it finds names; for tests and measurements.
  struct Stats {
    size_t reads = 0;         // MemoryReader::ReadVirtual calls on the dump
    uint64_t bytes_read = 0;  // bytes those calls asked for
    // kallsyms_markers (the offset of every 256th name) is not in VMCOREINFO: it is looked for where
    // scripts/kallsyms puts it and trusted once it checks out, else names are walked from the start.
    enum class Markers { kUnchecked, kValidated, kRejected };
    Markers markers = Markers::kUnchecked;
    size_t marker_blocks_verified = 0;  // blocks of 256 names decoded to end exactly at the next marker
    std::string markers_rejected_because;
    bool whole_address_table = false;  // the addresses were not sorted: read whole and sorted, as before
  };

  // Needs SYMBOL(kallsyms_names), kallsyms_num_syms, kallsyms_token_table, kallsyms_token_index,
  // and kallsyms_offsets + kallsyms_relative_base (or kallsyms_addresses). Reads only the symbol
  // count, the relative base and the token table; errors say which symbol is missing or what of
  // those is corrupt. `memory` must outlive the result.
  static Result<Kallsyms> Load(MemoryReader& memory, const VmcoreInfo& info);

  Kallsyms(Kallsyms&&) noexcept;
  Kallsyms& operator=(Kallsyms&&) noexcept;
  ~Kallsyms();

  // The symbol holding `address`: the first of its aliases, and the distance to the next higher
  // address as its size. None for absolute symbols (per-CPU offsets are not addresses), below the
  // first symbol, and past the start of the last one. An error when the table cannot be read or is
  // corrupt where the lookup went.
  Result<std::optional<SymbolLocation>> LookupOrError(uint64_t address);
  std::optional<SymbolLocation> Lookup(uint64_t address);  // errors read as "no symbol"

  // The address of the lowest symbol named `name` (absolute ones give their value). Decodes every
  // name in the table (kallsyms_seqs_of_names, the kernel's index by name, is not in VMCOREINFO),
  // so it reads all of kallsyms_names: 1.1 MB and ~14 ms on our compressed 6.1 dumps. A fallback
  // for callers that have no other way to the address.
  Result<std::optional<uint64_t>> AddressOfOrError(std::string_view name);
  std::optional<uint64_t> AddressOf(std::string_view name);  // errors read as "not found"
  // Decodes every name once into an index that later AddressOf calls use: for callers that ask
  // for many names (a deep analysis without debuginfo asks for dozens); ~20 MB for 200,000 names.
  Status IndexNames();

  size_t size() const;  // kallsyms_num_syms
  Stats stats() const;

 private:
  struct State;
  explicit Kallsyms(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace ktriage
