// DwarfTypes: the type source of a vmlinux with DWARF (libdw): an index of struct and union names
// to their entries, then member lookups that strip typedefs and qualifiers and descend into
// anonymous members.
#pragma once

#include <memory>
#include <string>

#include "analyzer/kernel_state/kernel_types.h"

namespace ktriage::kernel {

class DwarfTypes final : public KernelTypes {
 public:
  // Indexes the struct and union definitions of `vmlinux` (one pass over its compile units'
  // top-level entries, about half a second for a distribution kernel). `index_cache`: a file that
  // keeps that index for the next run (named by the build-id by the caller; "" for none); one
  // written for another file (by size) is ignored and rewritten.
  static Result<std::unique_ptr<DwarfTypes>> Open(const std::string& vmlinux, const std::string& index_cache = "");
  ~DwarfTypes() override;

 private:
  explicit DwarfTypes(const std::string& vmlinux);
  Result<uint64_t> LookupSize(const std::string& name) override;
  Result<MemberLayout> LookupMember(const std::string& name, std::string_view path) override;
  Result<int64_t> LookupEnumerator(const std::string& enum_type, std::string_view enumerator) override;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace ktriage::kernel
