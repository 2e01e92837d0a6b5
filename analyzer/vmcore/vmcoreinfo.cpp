// VmcoreInfo::Parse: the VMCOREINFO note text ("KEY=value" lines written by the kernel's
// vmcoreinfo_append_str) into typed maps. The note comes from the dump, so it is untrusted input.
#include "analyzer/vmcore/vmcoreinfo.h"

#include <limits>

#include "base/text.h"

namespace ktriage {
namespace {

// NUMBER() values are printed with %ld (an optional '-' then decimal digits), or by arm64 as
// 0x%llx, whose values (KERNELPACMASK, a PHYS_OFFSET below zero) keep their 64-bit pattern.
std::optional<int64_t> ParseNumber(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    std::optional<uint64_t> bits = ParseHex(s.substr(2));
    if (!bits) return std::nullopt;
    return static_cast<int64_t>(*bits);
  }
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  std::optional<uint64_t> magnitude = ParseDecimal(s);
  if (!magnitude) return std::nullopt;
  const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  if (*magnitude > limit) return std::nullopt;
  if (negative) return static_cast<int64_t>(0 - *magnitude);  // two's complement: exact for INT64_MIN too
  return static_cast<int64_t>(*magnitude);
}

// "SYMBOL(prb)" -> "prb" when `key` is `kind(...)`.
std::optional<std::string_view> Argument(std::string_view key, std::string_view kind) {
  if (key.size() < kind.size() + 3 || key.substr(0, kind.size()) != kind) return std::nullopt;
  key.remove_prefix(kind.size());
  if (key.front() != '(' || key.back() != ')') return std::nullopt;
  std::string_view name = key.substr(1, key.size() - 2);
  if (name.empty() || name.find_first_of("()") != std::string_view::npos) return std::nullopt;
  return name;
}

template <typename Map, typename Value>
void Keep(Map& map, std::string_view name, Value value) {
  // The first definition wins, as in makedumpfile and crash, which search the note for the first
  // occurrence of a key.
  map.emplace(std::string(name), value);
}

template <typename Map>
auto Find(const Map& map, std::string_view name) -> std::optional<typename Map::mapped_type> {
  auto it = map.find(name);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

}  // namespace

Result<VmcoreInfo> VmcoreInfo::Parse(std::string_view text) {
  VmcoreInfo info;
  // The note is NUL-padded to a 4-byte boundary, and some producers include the terminator.
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  info.text = std::string(text);

  bool any_symbol = false;
  bool any_osrelease = false;
  size_t pos = 0;
  // One turn per line: bounded by the text's length.
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    const size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);

    if (key == "OSRELEASE") {
      if (!any_osrelease && !value.empty()) {
        info.osrelease = std::string(value);
        any_osrelease = true;
      }
    } else if (key == "BUILD-ID") {
      if (info.build_id.empty()) info.build_id = std::string(value);
    } else if (key == "PAGESIZE") {
      if (auto v = ParseDecimal(value); v && info.page_size == 0) info.page_size = *v;
    } else if (key == "KERNELOFFSET") {
      // %lx of an unsigned long: a KASLR slide is never negative, but keep the bits as the kernel
      // printed them.
      if (auto v = ParseHex(value); v && !info.kernel_offset) info.kernel_offset = static_cast<int64_t>(*v);
    } else if (key == "CRASHTIME") {
      if (auto v = ParseNumber(value); v && !info.crash_time) info.crash_time = *v;
    } else if (auto name = Argument(key, "SYMBOL")) {
      if (auto v = ParseHex(value)) {
        Keep(info.symbols, *name, *v);
        any_symbol = true;
      }
    } else if (auto name = Argument(key, "SIZE")) {
      if (auto v = ParseDecimal(value)) Keep(info.sizes, *name, *v);
    } else if (auto name = Argument(key, "OFFSET")) {
      if (auto v = ParseDecimal(value)) Keep(info.offsets, *name, *v);
    } else if (auto name = Argument(key, "LENGTH")) {
      if (auto v = ParseDecimal(value)) Keep(info.lengths, *name, *v);
    } else if (auto name = Argument(key, "NUMBER")) {
      if (auto v = ParseNumber(value)) Keep(info.numbers, *name, *v);
    }
    // Anything else (CONFIG_*=y, other arch keys) stays in `text` for whoever needs it.
  }

  if (!any_osrelease && !any_symbol) {
    return Error{"VMCOREINFO has neither OSRELEASE= nor any SYMBOL(...)= line (" + std::to_string(text.size()) +
                 " bytes): not a VMCOREINFO note"};
  }
  return info;
}

std::optional<uint64_t> VmcoreInfo::Symbol(std::string_view name) const { return Find(symbols, name); }
std::optional<uint64_t> VmcoreInfo::Size(std::string_view name) const { return Find(sizes, name); }
std::optional<uint64_t> VmcoreInfo::Offset(std::string_view struct_dot_member) const {
  return Find(offsets, struct_dot_member);
}
std::optional<uint64_t> VmcoreInfo::Length(std::string_view name) const { return Find(lengths, name); }
std::optional<int64_t> VmcoreInfo::Number(std::string_view name) const { return Find(numbers, name); }

}  // namespace ktriage
