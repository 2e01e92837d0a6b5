// KernelObject: bounds-checked little-endian field reads from the object's bytes.
#include "analyzer/kernel_state/kernel_object.h"

#include "base/text.h"

namespace ktriage::kernel {

Result<KernelObject> KernelObject::Read(MemoryReader& memory, KernelTypes& types, std::string_view type,
                                        uint64_t address) {
  Result<uint64_t> size = types.SizeOf(type);
  if (!size) return size.error();
  if (*size == 0 || *size > (1u << 20)) return Error{"struct " + std::string(type) + ": implausible size"};
  KernelObject o;
  o.types_ = &types;
  o.type_ = std::string(type);
  o.address_ = address;
  o.bytes_.resize(*size);
  if (Status read = memory.ReadVirtual(address, o.bytes_.data(), o.bytes_.size()); !read)
    return Error{"struct " + o.type_ + " at " + HexString(address) + ": " + read.error().message};
  return o;
}

Result<MemberLayout> KernelObject::Field(std::string_view path, bool integer) const {
  Result<MemberLayout> m = types_->Member(type_, path);
  if (!m) return m.error();
  if (m->offset + m->size > bytes_.size()) return Error{type_ + "." + std::string(path) + " lies outside the struct"};
  if (integer && m->size != 1 && m->size != 2 && m->size != 4 && m->size != 8)
    return Error{type_ + "." + std::string(path) + " is not an integer (" + std::to_string(m->size) + " bytes)"};
  return m;
}

Result<uint64_t> KernelObject::Unsigned(std::string_view path) const {
  Result<MemberLayout> m = Field(path, true);
  if (!m) return m.error();
  uint64_t v = 0;
  for (uint64_t i = 0; i < m->size; ++i) v |= uint64_t{bytes_[m->offset + i]} << (8 * i);
  return v;
}

Result<int64_t> KernelObject::Signed(std::string_view path) const {
  Result<MemberLayout> m = Field(path, true);
  if (!m) return m.error();
  Result<uint64_t> u = Unsigned(path);
  if (!u) return u.error();
  const unsigned bits = static_cast<unsigned>(m->size * 8);
  if (bits == 64) return static_cast<int64_t>(*u);
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((*u ^ sign) - sign);
}

Result<std::string> KernelObject::CharArray(std::string_view path) const {
  Result<MemberLayout> m = Field(path, false);
  if (!m) return m.error();
  std::string s;
  for (uint64_t i = 0; i < m->size && bytes_[m->offset + i] != 0; ++i) s += static_cast<char>(bytes_[m->offset + i]);
  return s;
}

Result<uint64_t> KernelObject::AddressOf(std::string_view path) const {
  Result<uint64_t> offset = types_->Offset(type_, path);
  if (!offset) return offset.error();
  return address_ + *offset;
}

}  // namespace ktriage::kernel
