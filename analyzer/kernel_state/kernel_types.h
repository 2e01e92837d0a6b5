// KernelTypes: struct sizes and member offsets of one kernel build, asked by name ("task_struct",
// "thread.sp"), so that every walk of kernel data is written once against names and follows the
// layout of whatever kernel made the dump. Two sources answer: the vmlinux's DWARF (DwarfTypes)
// and the kernel's own BTF read from the dump (BtfTypes).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace ktriage::kernel {

struct MemberLayout {
  uint64_t offset = 0;    // bytes from the start of the outermost struct (a bitfield: its first bit's byte)
  uint64_t size = 0;      // bytes of the member's type (0 when it has none, a flexible array)
  unsigned bit_offset = 0;  // a bitfield's first bit in the byte at `offset`, counted from its LSB
  unsigned bit_size = 0;    // a bitfield's width; 0 for a member of whole bytes

  bool operator==(const MemberLayout&) const = default;
};

class KernelTypes {
 public:
  virtual ~KernelTypes() = default;
  KernelTypes(const KernelTypes&) = delete;
  KernelTypes& operator=(const KernelTypes&) = delete;

  // `type`: "task_struct" (a struct or union name; "struct " / "union " prefixes accepted).
  Result<uint64_t> SizeOf(std::string_view type);
  // `path`: "tasks", "thread.sp", "sk_common.skc_dport": members of nested structs, through
  // anonymous structs and unions. Errors name the type, the member that is missing and the source.
  Result<MemberLayout> Member(std::string_view type, std::string_view path);
  Result<uint64_t> Offset(std::string_view type, std::string_view path);
  // Whether `type` has `path` (kernels rename fields: task_struct's state became __state in 5.14).
  bool Has(std::string_view type, std::string_view path);
  // The value of `enumerator` in the enum named `enum_type` ("node_stat_item", "NR_FILE_PAGES"):
  // counters indexed by an enum move between kernels as items are added.
  Result<int64_t> EnumValue(std::string_view enum_type, std::string_view enumerator);

  // "DWARF of /usr/lib/debug/boot/vmlinux-..." or "BTF of the dump": said in notes and errors.
  const std::string& source() const { return source_; }
  // Every struct and member asked so far ("" member: its size), for comparing two sources on
  // exactly what the analyses use.
  std::vector<std::pair<std::string, std::string>> Asked() const;
  // Every (enum, enumerator) asked so far.
  std::vector<std::pair<std::string, std::string>> AskedEnumerators() const;

 protected:
  explicit KernelTypes(std::string source) : source_(std::move(source)) {}
  // `name` without "struct "; `path` one or more dotted members. Answers are cached by the caller.
  virtual Result<uint64_t> LookupSize(const std::string& name) = 0;
  virtual Result<MemberLayout> LookupMember(const std::string& name, std::string_view path) = 0;
  virtual Result<int64_t> LookupEnumerator(const std::string& enum_type, std::string_view enumerator) = 0;
  // When the source learns more types (a module's BTF): earlier "not found" answers are stale.
  void ForgetAnswers() {
    members_.clear();
    sizes_.clear();
    enumerators_.clear();
  }

 private:
  std::string source_;
  std::map<std::pair<std::string, std::string>, Result<MemberLayout>, std::less<>> members_;  // (type, path)
  std::map<std::string, Result<uint64_t>, std::less<>> sizes_;
  std::map<std::pair<std::string, std::string>, Result<int64_t>, std::less<>> enumerators_;  // (enum, name)
};

// "struct task_struct" -> "task_struct".
std::string_view StripAggregateKeyword(std::string_view type);

// The first member name of a dotted path ("thread" of "thread.sp"), taken off `rest`.
std::string_view TakeMemberName(std::string_view& rest);

}  // namespace ktriage::kernel
