// Kallsyms::Load: decodes the kernel's compressed symbol table (scripts/kallsyms.c output, read
// back as kernel/kallsyms.c does) from dump memory, using the kallsyms_* symbols in VMCOREINFO.
#include "analyzer/vmcore/kallsyms.h"

#include <algorithm>
#include <array>
#include <numeric>

#include "analyzer/vmcore/region_reader.h"
#include "base/text.h"

namespace ktriage {
namespace {

// A vmlinux has about 10^5 symbols (allyesconfig a few times more); more is a corrupt count, and
// refusing it bounds what we allocate.
constexpr uint32_t kMaxSymbols = uint32_t{1} << 22;
// KSYM_NAME_LEN is 512 since 6.1 (128 before); a longer expansion means corrupt tokens. The type
// letter is one more byte.
constexpr size_t kMaxNameLength = 512 + 1;
// A compressed name is at most 0x3fff token bytes (the two-byte length form).
constexpr uint64_t kMaxEncodedName = 2 + 0x3fff;
constexpr size_t kTokens = 256;
constexpr size_t kMaxToken = 256;  // tokens are short merged substrings; bounds the table read

bool IsAbsolute(char type) { return type == 'A' || type == 'a'; }

Result<std::array<std::string, kTokens>> ReadTokens(MemoryReader& memory, uint64_t table, uint64_t index) {
  std::array<uint8_t, kTokens * 2> raw{};
  if (Status s = memory.ReadVirtual(index, raw.data(), raw.size()); !s.ok()) {
    return Error{"cannot read kallsyms_token_index at " + HexString(index) + ": " + s.error().message};
  }
  std::array<uint16_t, kTokens> offsets{};
  for (size_t i = 0; i < kTokens; ++i) offsets[i] = LoadU16(raw.data() + 2 * i);
  const uint64_t table_size = *std::max_element(offsets.begin(), offsets.end()) + kMaxToken;

  std::array<std::string, kTokens> tokens;
  // One read for the whole table; if its tail runs into unreadable memory, one string at a time.
  std::vector<uint8_t> bytes(table_size);
  const bool whole = memory.ReadVirtual(table, bytes.data(), bytes.size()).ok();
  for (size_t i = 0; i < kTokens; ++i) {
    if (whole) {
      const uint8_t* start = bytes.data() + offsets[i];
      const uint8_t* limit = bytes.data() + bytes.size();
      const uint8_t* end = std::find(start, limit, uint8_t{0});
      if (end == limit) {
        return Error{"kallsyms_token_table entry " + std::to_string(i) + " is not terminated within " +
                     std::to_string(kMaxToken) + " bytes"};
      }
      tokens[i].assign(start, end);
    } else {
      Result<std::string> token = memory.ReadCString(table + offsets[i], kMaxToken);
      if (!token.ok()) {
        return Error{"cannot read kallsyms_token_table entry " + std::to_string(i) + ": " + token.error().message};
      }
      tokens[i] = std::move(*token);
    }
  }
  return tokens;
}

}  // namespace

Result<Kallsyms> Kallsyms::Load(MemoryReader& memory, const VmcoreInfo& info) {
  // kallsyms_* joined VMCOREINFO in 6.0 (for drgn and crash without vmlinux; all six are in the 6.1
  // dumps we test); older kernels lack them.
  std::vector<std::string> missing;
  auto need = [&](std::string_view name) {
    std::optional<uint64_t> v = info.Symbol(name);
    if (!v) missing.push_back("SYMBOL(" + std::string(name) + ")");
    return v.value_or(0);
  };
  const uint64_t names_address = need("kallsyms_names");
  const uint64_t num_syms_address = need("kallsyms_num_syms");
  const uint64_t token_table = need("kallsyms_token_table");
  const uint64_t token_index = need("kallsyms_token_index");
  // CONFIG_KALLSYMS_BASE_RELATIVE (every 64-bit arch since 4.6) stores 32-bit offsets from a base;
  // otherwise absolute addresses.
  const std::optional<uint64_t> offsets_address = info.Symbol("kallsyms_offsets");
  const std::optional<uint64_t> relative_base_address = info.Symbol("kallsyms_relative_base");
  const std::optional<uint64_t> addresses_address = info.Symbol("kallsyms_addresses");
  if (!addresses_address) {
    if (!offsets_address) missing.push_back("SYMBOL(kallsyms_offsets)");
    if (!relative_base_address) missing.push_back("SYMBOL(kallsyms_relative_base)");
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    return Error{"VMCOREINFO lacks " + list + " (exported since 6.0), needed to read kallsyms"};
  }

  Result<uint32_t> num_syms = memory.ReadU32(num_syms_address);
  if (!num_syms.ok()) return Error{"cannot read kallsyms_num_syms: " + num_syms.error().message};
  const uint32_t count = *num_syms;
  if (count == 0 || count > kMaxSymbols) {
    return Error{"kallsyms_num_syms is " + std::to_string(count) + ", outside 1.." + std::to_string(kMaxSymbols)};
  }
  Result<std::array<std::string, kTokens>> tokens = ReadTokens(memory, token_table, token_index);
  if (!tokens.ok()) return tokens.error();

  // Addresses first: one read of the whole array.
  std::vector<uint64_t> addresses(count);
  if (addresses_address) {
    std::vector<uint8_t> raw(size_t{count} * 8);
    if (Status s = memory.ReadVirtual(*addresses_address, raw.data(), raw.size()); !s.ok()) {
      return Error{"cannot read kallsyms_addresses: " + s.error().message};
    }
    for (uint32_t i = 0; i < count; ++i) addresses[i] = LoadU64(raw.data() + size_t{i} * 8);
  } else {
    std::vector<uint8_t> raw(size_t{count} * 4);
    if (Status s = memory.ReadVirtual(*offsets_address, raw.data(), raw.size()); !s.ok()) {
      return Error{"cannot read kallsyms_offsets: " + s.error().message};
    }
    Result<uint64_t> base = memory.ReadU64(*relative_base_address);
    if (!base.ok()) return Error{"cannot read kallsyms_relative_base: " + base.error().message};
    std::vector<int32_t> offsets(count);
    bool any_negative = false;
    for (uint32_t i = 0; i < count; ++i) {
      offsets[i] = static_cast<int32_t>(LoadU32(raw.data() + size_t{i} * 4));
      any_negative |= offsets[i] < 0;
    }
    // Whether CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86-64 SMP) was set is not in VMCOREINFO. Under it,
    // offsets >= 0 are absolute values (the per-CPU symbols) and the image's symbols are stored
    // negated as -1 - (address - base). Without it every offset is an unsigned distance from the
    // base below 2 GiB, so never negative: a negative offset tells the encodings apart.
    for (uint32_t i = 0; i < count; ++i) {
      if (!any_negative) {
        addresses[i] = *base + static_cast<uint32_t>(offsets[i]);
      } else if (offsets[i] >= 0) {
        addresses[i] = static_cast<uint64_t>(offsets[i]);
      } else {
        addresses[i] = *base - 1 - static_cast<uint64_t>(static_cast<int64_t>(offsets[i]));
      }
    }
  }

  // Names: each a length (one byte, or two when the first has its top bit set, for the long Rust
  // names since 6.1) then that many token indexes; the expansion's first letter is the type. Only
  // the token bytes are kept. The table's end is not exported, so a small window keeps the read
  // from running far past it.
  Kallsyms table;
  table.tokens_ = std::move(*tokens);
  std::array<size_t, kTokens> token_length{};
  for (size_t t = 0; t < kTokens; ++t) token_length[t] = table.tokens_[t].size();
  table.encoded_start_.reserve(size_t{count} + 1);
  constexpr size_t kNamesWindow = size_t{64} << 10;
  RegionReader names(memory, names_address, uint64_t{count} * kMaxEncodedName, kNamesWindow);
  uint64_t position = 0;
  std::array<uint8_t, kMaxEncodedName> encoded{};
  for (uint32_t i = 0; i < count; ++i) {
    auto fail = [&](const std::string& what) { return Error{"kallsyms_names entry " + std::to_string(i) + what}; };
    auto unreadable = [&](const Error& e) {
      return Error{"cannot read kallsyms_names entry " + std::to_string(i) + ": " + e.message};
    };
    Result<uint8_t> first = names.U8(position);
    if (!first.ok()) return unreadable(first.error());
    uint32_t length = *first;
    ++position;
    if ((length & 0x80) != 0) {
      Result<uint8_t> second = names.U8(position);
      if (!second.ok()) return unreadable(second.error());
      length = (length & 0x7f) | (uint32_t{*second} << 7);
      ++position;
    }
    if (length == 0) return fail(" is empty: the table is corrupt");
    if (Status s = names.Read(position, encoded.data(), length); !s.ok()) {
      return unreadable(s.error());
    }
    position += length;
    size_t expanded = 0;
    for (uint32_t b = 0; b < length; ++b) expanded += token_length[encoded[b]];
    if (expanded > kMaxNameLength) {
      return fail(" expands beyond " + std::to_string(kMaxNameLength) + " characters: the table is corrupt");
    }
    if (expanded < 2) return fail(" has no name after its type letter");
    table.encoded_start_.push_back(static_cast<uint32_t>(table.encoded_.size()));
    table.encoded_.insert(table.encoded_.end(), encoded.begin(), encoded.begin() + length);
  }
  table.encoded_start_.push_back(static_cast<uint32_t>(table.encoded_.size()));

  // scripts/kallsyms emits the table sorted by address; sort anyway (stably, so aliases keep the
  // kernel's order and the first of them names an address, as get_symbol_pos() picks it).
  if (!std::is_sorted(addresses.begin(), addresses.end())) {
    table.order_.resize(count);
    std::iota(table.order_.begin(), table.order_.end(), 0);
    std::stable_sort(table.order_.begin(), table.order_.end(),
                     [&](uint32_t a, uint32_t b) { return addresses[a] < addresses[b]; });
    table.addresses_.reserve(count);
    for (uint32_t i : table.order_) table.addresses_.push_back(addresses[i]);
  } else {
    table.addresses_ = std::move(addresses);
  }
  return table;
}

std::string Kallsyms::Expand(uint32_t entry) const {
  std::string expanded;
  for (uint32_t b = encoded_start_[entry]; b < encoded_start_[entry + 1]; ++b) expanded += tokens_[encoded_[b]];
  return expanded;  // Load checked it holds a type letter and a name
}

std::optional<SymbolLocation> Kallsyms::Lookup(uint64_t address) const {
  auto after = std::upper_bound(addresses_.begin(), addresses_.end(), address);
  if (after == addresses_.begin()) return std::nullopt;
  // The first of the aliases at the start address, then the next higher address for the size.
  const uint64_t start = *(after - 1);
  const size_t index = static_cast<size_t>(std::lower_bound(addresses_.begin(), after, start) - addresses_.begin());
  // Past the last symbol there is no end to measure against (module text, vmalloc...): the kernel
  // does not name such an address from its own table either.
  if (after == addresses_.end() && address != start) return std::nullopt;
  std::string expanded = Expand(EntryAt(index));
  // Absolute symbols (the per-CPU offsets on x86-64) are not code or data at that address.
  if (IsAbsolute(expanded[0])) return std::nullopt;
  SymbolLocation location;
  location.type = expanded[0];
  location.name = expanded.substr(1);
  location.address = start;
  location.offset = address - start;
  location.size = after == addresses_.end() ? 0 : *after - start;
  return location;
}

std::optional<uint64_t> Kallsyms::AddressOf(std::string_view name) const {
  // A scan that expands each name only while it still matches: most differ in their first token.
  // Callers ask for a handful of names per dump, so no index is built.
  const size_t entries = encoded_start_.empty() ? 0 : encoded_start_.size() - 1;
  for (size_t position = 0; position < entries; ++position) {
    const uint32_t entry = EntryAt(position);
    size_t matched = 0;
    bool type_skipped = false, same = true;
    for (uint32_t b = encoded_start_[entry]; same && b < encoded_start_[entry + 1]; ++b) {
      std::string_view token = tokens_[encoded_[b]];
      if (!type_skipped && !token.empty()) {
        token.remove_prefix(1);  // the type letter
        type_skipped = true;
      }
      same = token.size() <= name.size() - matched && name.compare(matched, token.size(), token) == 0;
      matched += token.size();
    }
    if (same && matched == name.size()) return addresses_[position];
  }
  return std::nullopt;
}

}  // namespace ktriage
