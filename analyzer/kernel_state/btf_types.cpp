// BtfTypes: our checks (header, then every type's references and names) before libbpf's parse is
// trusted, an index of struct and union names per source, and member lookups that walk one
// struct's members through anonymous ones as DwarfTypes does.
#include "analyzer/kernel_state/btf_types.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/text.h"

namespace ktriage::kernel {
namespace {

constexpr uint16_t kBtfMagic = 0xeB9F;
constexpr size_t kHeaderSize = 24;  // struct btf_header of version 1

uint32_t Le32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }

// Every type id `t` refers to, in `out` (0 is void, allowed where C allows it).
void ReferencedIds(const struct btf_type* t, std::vector<uint32_t>& out) {
  out.clear();
  switch (btf_kind(t)) {
    case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
    case BTF_KIND_TYPE_TAG:
      out.push_back(t->type);
      break;
    case BTF_KIND_FUNC_PROTO: {
      out.push_back(t->type);
      const struct btf_param* p = btf_params(t);
      for (unsigned i = 0; i < btf_vlen(t); ++i) out.push_back(p[i].type);
      break;
    }
    case BTF_KIND_ARRAY:
      out.push_back(btf_array(t)->type);
      out.push_back(btf_array(t)->index_type);
      break;
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
      const struct btf_member* m = btf_members(t);
      for (unsigned i = 0; i < btf_vlen(t); ++i) out.push_back(m[i].type);
      break;
    }
    case BTF_KIND_DATASEC: {
      const struct btf_var_secinfo* v = btf_var_secinfos(t);
      for (unsigned i = 0; i < btf_vlen(t); ++i) out.push_back(v[i].type);
      break;
    }
    default:
      break;
  }
}

// Type ids `first`.. of `b`: every reference in range, every name in the strings. `base`: the
// kernel BTF a module's BTF extends; its names must start at a string there.
Status CheckTypes(const struct btf* b, const struct btf* base, const std::string& origin) {
  const uint32_t count = btf__type_cnt(b);
  const uint32_t first = base != nullptr ? btf__type_cnt(base) : 1;
  std::vector<uint32_t> refs;
  for (uint32_t id = first; id < count; ++id) {
    const struct btf_type* t = btf__type_by_id(b, id);
    if (t == nullptr) return Error{origin + ": type " + std::to_string(id) + " is missing"};
    ReferencedIds(t, refs);
    for (uint32_t r : refs) {
      if (r >= count) {
        return Error{origin + ": type " + std::to_string(id) + " refers to type " + std::to_string(r) + ", but there are " +
                     std::to_string(count - 1) + (base != nullptr ? " (is it made against this kernel's BTF?)" : "")};
      }
    }
    auto check_name = [&](uint32_t off) -> Status {
      const char* name = btf__str_by_offset(b, off);
      if (name == nullptr) return Error{origin + ": type " + std::to_string(id) + " has a name outside the strings"};
      // A module names most things by offsets into the kernel's strings: made against another
      // kernel, those offsets land inside other strings.
      if (base != nullptr && off > 0 && btf__str_by_offset(base, off) == name && name[-1] != '\0')
        return Error{origin + ": its names do not fall on the kernel BTF's strings (made against another kernel's BTF)"};
      return Ok{};
    };
    if (Status s = check_name(t->name_off); !s) return s;
    if (btf_is_composite(t)) {
      const struct btf_member* m = btf_members(t);
      for (unsigned i = 0; i < btf_vlen(t); ++i) {
        if (Status s = check_name(m[i].name_off); !s) return s;
      }
    }
  }
  return Ok{};
}

// Through typedefs, qualifiers and type tags.
uint32_t Resolve(const struct btf* b, uint32_t id) {
  for (int depth = 0; depth < 32 && id != 0; ++depth) {
    const struct btf_type* t = btf__type_by_id(b, id);
    if (t == nullptr) return 0;
    if (!btf_is_typedef(t) && !btf_is_mod(t) && !btf_is_type_tag(t)) return id;
    id = t->type;
  }
  return 0;
}

// The member `name` of composite `id`, through anonymous members: its type and bit offset from
// the start of `id`, and its bitfield width (0: whole bytes).
bool FindMember(const struct btf* b, uint32_t id, std::string_view name, uint32_t* type, uint64_t* bits,
                unsigned* width, int depth = 0) {
  const struct btf_type* t = btf__type_by_id(b, id);
  if (depth > 8 || t == nullptr || !btf_is_composite(t)) return false;
  const struct btf_member* m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); ++i) {
    const char* member = btf__name_by_offset(b, m[i].name_off);
    const uint64_t at = btf_member_bit_offset(t, i);
    if (member != nullptr && *member != '\0') {
      if (name != member) continue;
      *type = m[i].type;
      *bits = at;
      *width = btf_member_bitfield_size(t, i);
      // Without kind_flag a bitfield is said by its int type's own bit count and offset.
      const struct btf_type* it = btf__type_by_id(b, Resolve(b, m[i].type));
      if (*width == 0 && it != nullptr && btf_is_int(it) && btf_int_bits(it) != it->size * 8) {
        *width = btf_int_bits(it);
        *bits += btf_int_offset(it);
      }
      return true;
    }
    uint64_t inner = 0;
    if (FindMember(b, Resolve(b, m[i].type), name, type, &inner, width, depth + 1)) {
      *bits = at + inner;
      return true;
    }
  }
  return false;
}

// Enums share the index under a key no struct can have.
constexpr std::string_view kEnumKey = "enum:";

std::unordered_map<std::string, uint32_t> IndexAggregates(const struct btf* b, uint32_t first) {
  std::unordered_map<std::string, uint32_t> index;
  const uint32_t count = btf__type_cnt(b);
  for (uint32_t id = first; id < count; ++id) {
    const struct btf_type* t = btf__type_by_id(b, id);
    if (t == nullptr || t->name_off == 0) continue;
    const bool is_enum = btf_is_enum(t) || btf_is_enum64(t);
    if (!btf_is_composite(t) && !is_enum) continue;
    const char* name = btf__name_by_offset(b, t->name_off);
    if (name == nullptr) continue;
    index.emplace(is_enum ? std::string(kEnumKey) + name : std::string(name), id);  // the first wins
  }
  return index;
}

// Debian 12's libbpf (1.1) declares btf__new_split but exports only the file-reading form, so the
// blob goes through an anonymous memory file.
Result<struct btf*> ParseSplit(std::span<const unsigned char> blob, struct btf* base) {
  const int fd = ::memfd_create("ktriage-module-btf", MFD_CLOEXEC);
  if (fd < 0) return Error{std::string("memfd_create: ") + std::strerror(errno)};
  size_t done = 0;
  while (done < blob.size()) {
    const ssize_t n = ::write(fd, blob.data() + done, blob.size() - done);
    if (n <= 0) {
      ::close(fd);
      return Error{std::string("cannot buffer it: ") + std::strerror(errno)};
    }
    done += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  struct btf* b = btf__parse_raw_split(path.c_str(), base);
  const int error = errno;
  ::close(fd);
  if (b == nullptr) return Error{std::string("libbpf cannot parse it (") + std::strerror(error) + ")"};
  return b;
}

}  // namespace

Status CheckBtfHeader(std::span<const unsigned char> blob) {
  if (blob.size() < kHeaderSize) return Error{"BTF of " + std::to_string(blob.size()) + " bytes is shorter than its header"};
  const uint16_t magic = static_cast<uint16_t>(blob[0] | blob[1] << 8);
  if (magic == 0x9FeB) return Error{"BTF in the other byte order"};
  if (magic != kBtfMagic) return Error{"no BTF magic (" + HexString(magic) + ")"};
  if (blob[2] != 1) return Error{"BTF version " + std::to_string(blob[2]) + ", not 1"};
  const uint64_t hdr_len = Le32(&blob[4]), type_off = Le32(&blob[8]), type_len = Le32(&blob[12]),
                 str_off = Le32(&blob[16]), str_len = Le32(&blob[20]);
  if (hdr_len < kHeaderSize || hdr_len > blob.size()) return Error{"BTF header length " + std::to_string(hdr_len) + " is wrong"};
  const uint64_t data = blob.size() - hdr_len;
  if (type_off + type_len > data || str_off + str_len > data)
    return Error{"BTF sections reach past its " + std::to_string(blob.size()) + " bytes"};
  // libbpf reads the records in place from its copy of the blob: they must start 4-aligned.
  if ((hdr_len + type_off) % 4 != 0) return Error{"BTF types are not 4-byte aligned"};
  if (str_len == 0 || blob[hdr_len + str_off + str_len - 1] != 0) return Error{"BTF strings do not end with a NUL"};
  if (type_off < str_off ? type_off + type_len > str_off : str_off + str_len > type_off)
    return Error{"BTF types and strings overlap"};
  return Ok{};
}

BtfTypes::BtfTypes(const std::string& origin) : KernelTypes("BTF of " + origin), origin_(origin) {}

BtfTypes::~BtfTypes() {
  for (auto& m : modules_) btf__free(m->btf);
  if (kernel_) btf__free(kernel_->btf);
}

Result<std::unique_ptr<BtfTypes>> BtfTypes::Parse(std::span<const unsigned char> blob, const std::string& origin) {
  if (Status header = CheckBtfHeader(blob); !header) return Error{origin + ": " + header.error().message};
  struct btf* b = btf__new(blob.data(), static_cast<uint32_t>(blob.size()));
  if (b == nullptr) return Error{origin + ": libbpf cannot parse its BTF (" + std::strerror(errno) + ")"};
  std::unique_ptr<BtfTypes> types(new BtfTypes(origin));
  types->kernel_ = std::make_unique<Source>();
  types->kernel_->btf = b;
  if (Status s = CheckTypes(b, nullptr, origin); !s) return s.error();
  types->kernel_->aggregates = IndexAggregates(b, 1);
  if (types->kernel_->aggregates.empty()) return Error{origin + ": its BTF has no structs"};
  return types;
}

Status BtfTypes::AddModule(const std::string& module, std::span<const unsigned char> blob) {
  const std::string origin = "module " + module + "'s BTF";
  if (Status header = CheckBtfHeader(blob); !header) return Error{origin + ": " + header.error().message};
  Result<struct btf*> parsed = ParseSplit(blob, kernel_->btf);
  if (!parsed) return Error{origin + ": " + parsed.error().message};
  struct btf* b = *parsed;
  auto source = std::make_unique<Source>();
  source->name = module;
  source->btf = b;
  if (Status s = CheckTypes(b, kernel_->btf, origin); !s) {
    btf__free(b);
    return s;
  }
  source->aggregates = IndexAggregates(b, btf__type_cnt(kernel_->btf));
  modules_.push_back(std::move(source));
  ForgetAnswers();
  return Ok{};
}

size_t BtfTypes::type_count() const { return btf__type_cnt(kernel_->btf) - 1; }

const BtfTypes::Source* BtfTypes::Find(const std::string& name, uint32_t* id) const {
  if (auto it = kernel_->aggregates.find(name); it != kernel_->aggregates.end()) {
    *id = it->second;
    return kernel_.get();
  }
  for (const auto& m : modules_) {
    if (auto it = m->aggregates.find(name); it != m->aggregates.end()) {
      *id = it->second;
      return m.get();
    }
  }
  return nullptr;
}

Result<uint64_t> BtfTypes::LookupSize(const std::string& name) {
  uint32_t id = 0;
  const Source* s = Find(name, &id);
  if (s == nullptr) return Error{"struct " + name + " is not in the " + source()};
  return btf__type_by_id(s->btf, id)->size;
}

Result<MemberLayout> BtfTypes::LookupMember(const std::string& name, std::string_view path) {
  uint32_t current = 0;
  const Source* s = Find(name, &current);
  if (s == nullptr) return Error{"struct " + name + " is not in the " + source()};
  MemberLayout layout;
  std::string_view rest = path;
  while (!rest.empty()) {
    const std::string_view part = TakeMemberName(rest);
    uint32_t type = 0;
    uint64_t bits = 0;
    unsigned width = 0;
    if (!FindMember(s->btf, current, part, &type, &bits, &width))
      return Error{"struct " + name + " has no member " + std::string(path) + " in the " + source()};
    layout.offset += bits / 8;
    if (rest.empty() && width != 0) {
      layout.bit_offset = static_cast<unsigned>(bits % 8);
      layout.bit_size = width;
    }
    current = Resolve(s->btf, type);
    const __s64 size = current == 0 ? -1 : btf__resolve_size(s->btf, current);
    layout.size = size > 0 ? static_cast<uint64_t>(size) : 0;
  }
  return layout;
}

Result<int64_t> BtfTypes::LookupEnumerator(const std::string& enum_type, std::string_view enumerator) {
  uint32_t id = 0;
  const Source* s = Find(std::string(kEnumKey) + enum_type, &id);
  if (s == nullptr) return Error{"enum " + enum_type + " is not in the " + source()};
  const struct btf_type* t = btf__type_by_id(s->btf, id);
  const uint16_t count = btf_vlen(t);
  for (uint16_t i = 0; i < count; ++i) {
    const bool wide = btf_is_enum64(t);
    const uint32_t name_off = wide ? btf_enum64(t)[i].name_off : btf_enum(t)[i].name_off;
    const char* name = btf__name_by_offset(s->btf, name_off);
    if (name == nullptr || enumerator != name) continue;
    if (wide) return static_cast<int64_t>(btf_enum64_value(btf_enum64(t) + i));
    return int64_t{btf_enum(t)[i].val};
  }
  return Error{"enum " + enum_type + " has no " + std::string(enumerator) + " in the " + source()};
}

}  // namespace ktriage::kernel
