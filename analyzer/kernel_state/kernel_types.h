// KernelTypes: struct sizes and member offsets of one kernel build, read from its vmlinux DWARF
// (libdw), so that the walks of kernel data in a dump are written against names ("task_struct",
// "thread.sp") and follow the layout of whatever kernel made the dump.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

namespace ktriage::kernel {

struct MemberLayout {
  uint64_t offset = 0;    // bytes from the start of the outermost struct (a bitfield: its first bit's byte)
  uint64_t size = 0;      // bytes of the member's type (0 when it has none, a flexible array)
  unsigned bit_offset = 0;  // a bitfield's first bit in the byte at `offset`, counted from its LSB
  unsigned bit_size = 0;    // a bitfield's width; 0 for a member of whole bytes
};

class KernelTypes {
 public:
  // Indexes the struct and union definitions of `vmlinux` (one pass over its compile units'
  // top-level entries, about half a second for a distribution kernel). `index_cache`: a file that
  // keeps that index for the next run (named by the build-id by the caller; "" for none); one
  // written for another file (by size) is ignored and rewritten.
  static Result<std::unique_ptr<KernelTypes>> Open(const std::string& vmlinux, const std::string& index_cache = "");
  ~KernelTypes();
  KernelTypes(const KernelTypes&) = delete;
  KernelTypes& operator=(const KernelTypes&) = delete;

  // `type`: "task_struct" (a struct or union name; "struct " / "union " prefixes accepted).
  Result<uint64_t> SizeOf(std::string_view type);
  // `path`: "tasks", "thread.sp", "sk_common.skc_dport": members of nested structs, through
  // anonymous structs and unions. Errors name the type and the member that is missing.
  Result<MemberLayout> Member(std::string_view type, std::string_view path);
  Result<uint64_t> Offset(std::string_view type, std::string_view path);
  // Whether `type` has `path` (kernels rename fields: task_struct's state became __state in 5.14).
  bool Has(std::string_view type, std::string_view path);

  const std::string& path() const { return path_; }

 private:
  KernelTypes() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  std::map<std::string, Result<MemberLayout>, std::less<>> members_;  // "type:path" -> answer
};

}  // namespace ktriage::kernel
