// DwarfTypes: one pass over the compile units' top-level entries for the index (cached by the
// caller's file), then lookups that walk one struct's members.
#include "analyzer/kernel_state/dwarf_types.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <unordered_map>
#include <vector>

namespace ktriage::kernel {

struct DwarfTypes::Impl {
  int fd = -1;
  Dwarf* dwarf = nullptr;
  // name -> first complete definition; enums as "enum:NAME" (a name no struct can have)
  std::unordered_map<std::string, Dwarf_Off> aggregates;
  ~Impl() {
    if (dwarf != nullptr) dwarf_end(dwarf);
    if (fd >= 0) ::close(fd);
  }
};

namespace {

// Through typedef, const, volatile, restrict and atomic to the type itself.
bool Resolve(Dwarf_Die* die) {
  for (int depth = 0; depth < 32; ++depth) {
    const int tag = dwarf_tag(die);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
        tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type) {
      return true;
    }
    Dwarf_Attribute attr;
    if (dwarf_attr_integrate(die, DW_AT_type, &attr) == nullptr || dwarf_formref_die(&attr, die) == nullptr) return false;
  }
  return false;
}

bool TypeOf(Dwarf_Die* die, Dwarf_Die* type) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, DW_AT_type, &attr) == nullptr || dwarf_formref_die(&attr, type) == nullptr) return false;
  return Resolve(type);
}

std::optional<uint64_t> MemberOffset(Dwarf_Die* member) {
  Dwarf_Attribute attr;
  if (dwarf_attr(member, DW_AT_data_member_location, &attr) == nullptr) {
    // A union's members, and bitfields described by DW_AT_data_bit_offset alone, start at 0
    // bytes (bitfields: the byte holding their first bit).
    Dwarf_Word bits;
    if (dwarf_attr(member, DW_AT_data_bit_offset, &attr) != nullptr && dwarf_formudata(&attr, &bits) == 0)
      return bits / 8;
    return 0;
  }
  Dwarf_Word offset;
  if (dwarf_formudata(&attr, &offset) == 0) return offset;
  return std::nullopt;  // a location expression: not used for C structs
}

// A bitfield's position as (bit from the start of its struct, width), little-endian: DWARF 4 and
// later say DW_AT_data_bit_offset; DWARF 2/3 said DW_AT_bit_offset, counted from the most
// significant bit of a DW_AT_byte_size unit at DW_AT_data_member_location. Nullopt: not a bitfield.
std::optional<std::pair<uint64_t, unsigned>> BitField(Dwarf_Die* member) {
  Dwarf_Attribute attr;
  Dwarf_Word width = 0, bits = 0;
  if (dwarf_attr(member, DW_AT_bit_size, &attr) == nullptr || dwarf_formudata(&attr, &width) != 0 || width == 0) return std::nullopt;
  if (dwarf_attr(member, DW_AT_data_bit_offset, &attr) != nullptr && dwarf_formudata(&attr, &bits) == 0) {
    return std::make_pair(uint64_t{bits}, static_cast<unsigned>(width));
  }
  Dwarf_Word from_msb = 0, unit = 0, location = 0;
  if (dwarf_attr(member, DW_AT_bit_offset, &attr) == nullptr || dwarf_formudata(&attr, &from_msb) != 0) return std::nullopt;
  if (dwarf_attr(member, DW_AT_byte_size, &attr) == nullptr || dwarf_formudata(&attr, &unit) != 0) return std::nullopt;
  if (dwarf_attr(member, DW_AT_data_member_location, &attr) != nullptr) dwarf_formudata(&attr, &location);
  if (from_msb + width > unit * 8) return std::nullopt;
  return std::make_pair(uint64_t{location * 8 + unit * 8 - from_msb - width}, static_cast<unsigned>(width));
}

// Searches `aggregate`'s members for `name`, descending into anonymous structs and unions.
// `offset`: the member's byte offset in `aggregate`; `parent`: the byte offset of the struct that
// declares it (an anonymous one's, else 0), from which a bitfield's bit position counts.
bool FindMember(Dwarf_Die* aggregate, std::string_view name, Dwarf_Die* found, uint64_t* offset, uint64_t* parent,
                int depth = 0) {
  if (depth > 8) return false;
  Dwarf_Die child;
  if (dwarf_child(aggregate, &child) != 0) return false;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    const char* member_name = dwarf_diename(&child);
    std::optional<uint64_t> at = MemberOffset(&child);
    if (!at) continue;
    if (member_name != nullptr) {
      if (name == member_name) {
        *found = child;
        *offset = *at;
        *parent = 0;
        return true;
      }
      continue;
    }
    Dwarf_Die inner;
    if (!TypeOf(&child, &inner)) continue;
    uint64_t inner_offset = 0, inner_parent = 0;
    if (FindMember(&inner, name, found, &inner_offset, &inner_parent, depth + 1)) {
      *offset = *at + inner_offset;
      *parent = *at + inner_parent;
      return true;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

}  // namespace

DwarfTypes::DwarfTypes(const std::string& vmlinux) : KernelTypes("DWARF of " + vmlinux), path_(vmlinux) {}
DwarfTypes::~DwarfTypes() = default;

namespace {

constexpr const char* kIndexMagic = "ktriage-types-index 2";
constexpr std::string_view kEnumKey = "enum:";

// The index as "name offset" lines after a header naming the vmlinux's size.
bool LoadIndex(const std::string& path, uint64_t vmlinux_size, std::unordered_map<std::string, Dwarf_Off>& out) {
  std::ifstream in(path);
  std::string magic;
  uint64_t size = 0;
  if (!std::getline(in, magic) || magic != kIndexMagic || !(in >> size) || size != vmlinux_size) return false;
  std::string name;
  Dwarf_Off offset = 0;
  while (in >> name >> offset) out.emplace(name, offset);
  return !out.empty() && in.eof();
}

void SaveIndex(const std::string& path, uint64_t vmlinux_size, const std::unordered_map<std::string, Dwarf_Off>& index) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << kIndexMagic << '\n' << vmlinux_size << '\n';
    for (const auto& [name, offset] : index) out << name << ' ' << offset << '\n';
    if (!out) {
      std::filesystem::remove(temp, ec);
      return;  // a cache that cannot be written only costs the next run its half second
    }
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace

Result<std::unique_ptr<DwarfTypes>> DwarfTypes::Open(const std::string& vmlinux, const std::string& index_cache) {
  std::unique_ptr<DwarfTypes> types(new DwarfTypes(vmlinux));
  types->impl_ = std::make_unique<Impl>();
  Impl& impl = *types->impl_;
  impl.fd = ::open(vmlinux.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl.fd < 0) return Error{vmlinux + ": " + std::strerror(errno)};
  impl.dwarf = dwarf_begin(impl.fd, DWARF_C_READ);
  if (impl.dwarf == nullptr) return Error{vmlinux + ": no DWARF (" + dwarf_errmsg(-1) + ")"};
  std::error_code ec;
  const uint64_t vmlinux_size = std::filesystem::file_size(vmlinux, ec);
  if (!index_cache.empty() && !ec && LoadIndex(index_cache, vmlinux_size, impl.aggregates)) return types;
  impl.aggregates.clear();
  Dwarf_Off offset = 0, next = 0;
  size_t header_size = 0;
  while (dwarf_nextcu(impl.dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, child;
    if (dwarf_offdie(impl.dwarf, offset + header_size, &cu) != nullptr && dwarf_child(&cu, &child) == 0) {
      do {
        const int tag = dwarf_tag(&child);
        if ((tag == DW_TAG_structure_type || tag == DW_TAG_union_type) && !dwarf_hasattr(&child, DW_AT_declaration)) {
          if (const char* name = dwarf_diename(&child)) impl.aggregates.emplace(name, dwarf_dieoffset(&child));
        } else if (tag == DW_TAG_enumeration_type && !dwarf_hasattr(&child, DW_AT_declaration)) {
          if (const char* name = dwarf_diename(&child))
            impl.aggregates.emplace(std::string(kEnumKey) + name, dwarf_dieoffset(&child));
        }
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    offset = next;
  }
  if (impl.aggregates.empty()) return Error{vmlinux + ": no struct definitions in its DWARF (stripped?)"};
  if (!index_cache.empty() && !ec) SaveIndex(index_cache, vmlinux_size, impl.aggregates);
  return types;
}

Result<uint64_t> DwarfTypes::LookupSize(const std::string& name) {
  auto it = impl_->aggregates.find(name);
  if (it == impl_->aggregates.end()) return Error{"struct " + name + " is not in the DWARF of " + path_};
  Dwarf_Die die;
  Dwarf_Word size;
  if (dwarf_offdie(impl_->dwarf, it->second, &die) == nullptr || dwarf_aggregate_size(&die, &size) != 0)
    return Error{"struct " + name + ": no size in the DWARF of " + path_};
  return size;
}

Result<MemberLayout> DwarfTypes::LookupMember(const std::string& name, std::string_view path) {
  auto it = impl_->aggregates.find(name);
  if (it == impl_->aggregates.end()) return Error{"struct " + name + " is not in the DWARF of " + path_};
  Dwarf_Die current;
  if (dwarf_offdie(impl_->dwarf, it->second, &current) == nullptr) return Error{"struct " + name + ": bad DWARF"};
  MemberLayout layout;
  std::string_view rest = path;
  while (!rest.empty()) {
    const std::string_view part = TakeMemberName(rest);
    Dwarf_Die member;
    uint64_t offset = 0, parent = 0;
    if (!FindMember(&current, part, &member, &offset, &parent))
      return Error{"struct " + name + " has no member " + std::string(path) + " in " + path_};
    layout.offset += offset;
    if (rest.empty()) {
      if (std::optional<std::pair<uint64_t, unsigned>> bits = BitField(&member)) {
        // `offset` is the byte of the first bit (MemberOffset); the bit position counts from the
        // struct that declares it, which may be an anonymous one inside this one.
        layout.offset = layout.offset - offset + parent + bits->first / 8;
        layout.bit_offset = static_cast<unsigned>(bits->first % 8);
        layout.bit_size = bits->second;
      }
    }
    Dwarf_Die member_type;
    if (!TypeOf(&member, &member_type)) return Error{"struct " + name + "." + std::string(path) + ": no type"};
    Dwarf_Word size = 0;
    layout.size = dwarf_aggregate_size(&member_type, &size) == 0 ? size : 0;
    if (dwarf_tag(&member_type) == DW_TAG_pointer_type && layout.size == 0) layout.size = 8;
    current = member_type;
  }
  return layout;
}

Result<int64_t> DwarfTypes::LookupEnumerator(const std::string& enum_type, std::string_view enumerator) {
  auto it = impl_->aggregates.find(std::string(kEnumKey) + enum_type);
  if (it == impl_->aggregates.end()) return Error{"enum " + enum_type + " is not in the DWARF of " + path_};
  Dwarf_Die die, child;
  if (dwarf_offdie(impl_->dwarf, it->second, &die) == nullptr || dwarf_child(&die, &child) != 0)
    return Error{"enum " + enum_type + ": bad DWARF"};
  do {
    const char* name = dwarf_diename(&child);
    if (dwarf_tag(&child) != DW_TAG_enumerator || name == nullptr || enumerator != name) continue;
    Dwarf_Attribute attr;
    Dwarf_Sword value = 0;
    if (dwarf_attr(&child, DW_AT_const_value, &attr) == nullptr || dwarf_formsdata(&attr, &value) != 0)
      return Error{"enum " + enum_type + "." + std::string(enumerator) + ": no value"};
    return int64_t{value};
  } while (dwarf_siblingof(&child, &child) == 0);
  return Error{"enum " + enum_type + " has no " + std::string(enumerator) + " in the DWARF of " + path_};
}

}  // namespace ktriage::kernel
