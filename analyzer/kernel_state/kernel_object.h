// KernelObject: one kernel struct read from a dump in one piece, its fields read by name through
// KernelTypes, so that a walk reads each object once and never hard-codes an offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/kernel_state/kernel_types.h"
#include "analyzer/vmcore/memory_reader.h"
#include "base/result.h"

namespace ktriage::kernel {

class KernelObject {
 public:
  // Reads sizeof(type) bytes at `address`.
  static Result<KernelObject> Read(MemoryReader& memory, KernelTypes& types, std::string_view type, uint64_t address);

  uint64_t address() const { return address_; }
  const std::string& type() const { return type_; }
  // Unsigned fields of 1, 2, 4 or 8 bytes (pointers too); signed: sign-extended.
  Result<uint64_t> Unsigned(std::string_view path) const;
  Result<int64_t> Signed(std::string_view path) const;
  // A char array field ("comm"), up to its first NUL.
  Result<std::string> CharArray(std::string_view path) const;
  // The address of a field inside the object (a list_head to walk, an embedded struct).
  Result<uint64_t> AddressOf(std::string_view path) const;

 private:
  Result<MemberLayout> Field(std::string_view path, bool integer) const;

  KernelTypes* types_ = nullptr;
  std::string type_;
  uint64_t address_ = 0;
  std::vector<unsigned char> bytes_;
};

}  // namespace ktriage::kernel
