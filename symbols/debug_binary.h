// DebugBinary: one ELF file with its DWARF (vmlinux or a module's .ko), opened with libdwfl, that
// answers "where does this symbol start" and "which source line and inline chain is this address".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "symbols/source_location.h"

namespace ktriage::symbols {

// A symbol named by a log: its start in this file's address space and its size as kallsyms
// prints it (the distance to the next symbol).
struct SymbolCandidate {
  uint64_t address = 0;
  uint64_t size = 0;
  bool size_known = true;  // false for the last symbol of a module section: the loader decides
};

class DebugBinary {
 public:
  // Opens `path` (ELF, also .ko.xz through libdwfl and .ko.zst through libzstd). An error names
  // the file and why: missing, not ELF, corrupt.
  static Result<std::unique_ptr<DebugBinary>> Open(const std::string& path);
  ~DebugBinary();
  DebugBinary(const DebugBinary&) = delete;
  DebugBinary& operator=(const DebugBinary&) = delete;

  const std::string& path() const { return path_; }
  const std::string& build_id() const { return build_id_; }  // lowercase hex; "" when the file has none
  bool has_dwarf() const { return has_dwarf_; }
  bool relocatable() const { return relocatable_; }  // ET_REL: a module, laid out by libdwfl

  // Every symbol of that name (static functions of different files share names), by address.
  std::vector<SymbolCandidate> FindSymbol(std::string_view name) const;
  // Source and inline chain of `address` (this file's address space). Thread-safe; cached.
  Result<AddressInfo> Describe(uint64_t address) const;

 private:
  struct Dwfl;  // libdwfl's handle and module, kept out of this header
  DebugBinary() = default;
  void IndexSymbols() const;  // under mutex_
  Result<AddressInfo> DescribeUncached(uint64_t address) const;

  std::string path_;
  std::string build_id_;
  bool has_dwarf_ = false;
  bool relocatable_ = false;
  std::unique_ptr<Dwfl> dwfl_;

  mutable std::mutex mutex_;  // libdw's lazy loading is not thread-safe
  mutable bool indexed_ = false;
  mutable std::unordered_multimap<std::string, SymbolCandidate> symbols_;
  mutable std::unordered_map<uint64_t, Result<AddressInfo>> described_;
};

}  // namespace ktriage::symbols
