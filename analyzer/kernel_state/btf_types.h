// BtfTypes: the type source of a kernel's own BTF (CONFIG_DEBUG_INFO_BTF), the compact type
// information the kernel carries between __start_BTF and __stop_BTF and, per module, in its
// struct module; parsed with libbpf after our own checks, so a damaged blob is refused with the
// reason instead of being trusted.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/kernel_state/kernel_types.h"

struct btf;

namespace ktriage::kernel {

// What is wrong with a BTF blob's header, if anything: magic, version, byte order, sections inside
// the blob and apart, a NUL-terminated string section. (After libbpf's parse, BtfTypes also checks
// that every type id a type refers to is in range and every name inside the strings.)
Status CheckBtfHeader(std::span<const unsigned char> blob);

class BtfTypes final : public KernelTypes {
 public:
  // `blob`: the kernel's BTF; `origin`: where it came from, for errors ("the dump's BTF at 0x...").
  static Result<std::unique_ptr<BtfTypes>> Parse(std::span<const unsigned char> blob, const std::string& origin);
  ~BtfTypes() override;

  // A module's split BTF on top of the kernel's. Refused (with the reason) when it is damaged or was
  // not made against this kernel's BTF: its names into the kernel's strings would not fall on the
  // start of a string, or its type ids would point past the types there are.
  Status AddModule(const std::string& module, std::span<const unsigned char> blob);

  size_t type_count() const;    // the kernel's types (ids 1..)
  size_t module_count() const { return modules_.size(); }

 private:
  explicit BtfTypes(const std::string& origin);
  Result<uint64_t> LookupSize(const std::string& name) override;
  Result<MemberLayout> LookupMember(const std::string& name, std::string_view path) override;
  Result<int64_t> LookupEnumerator(const std::string& enum_type, std::string_view enumerator) override;

  struct Source {
    std::string name;          // "" for the kernel, else the module
    struct btf* btf = nullptr;
    std::unordered_map<std::string, uint32_t> aggregates;  // struct/union name ("enum:NAME") -> type id
  };
  // The source and type id of a struct or union; modules only when the kernel has none.
  const Source* Find(const std::string& name, uint32_t* id) const;

  std::vector<std::unique_ptr<Source>> modules_;
  std::unique_ptr<Source> kernel_;
  std::string origin_;
};

}  // namespace ktriage::kernel
