// Kallsyms: decodes the kernel's compressed symbol table (scripts/kallsyms.c output, read back as
// kernel/kallsyms.c reads it) in place in dump memory, reading only the pages a lookup touches.
#include "analyzer/vmcore/kallsyms.h"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <vector>

#include "analyzer/vmcore/page_cache.h"
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
// The shortest compressed name: a length byte and one token (which expands to the type letter and
// at least one character). With the longest, it bounds the distance between two markers.
constexpr uint64_t kMinEncodedName = 2;
constexpr size_t kTokens = 256;
constexpr size_t kMaxToken = 256;  // tokens are short merged substrings; bounds the table read
// kallsyms_markers holds the offset of every 256th name.
constexpr uint32_t kBlock = 256;
// scripts/kallsyms aligns every label (`.balign 8` on 64-bit, 4 on 32-bit).
constexpr uint64_t kLabelAlign = 8;
// Walks of the whole names table read it in windows this large, outside the page cache, which a
// walk would only flush.
constexpr size_t kNamesWindow = size_t{64} << 10;
// Blocks of name offsets and decoded pages of addresses kept; a dump is asked about far fewer.
constexpr size_t kMaxCachedBlocks = 256;
constexpr size_t kMaxCachedTablePages = 256;

using TokenTable = std::array<std::string, kTokens>;
using TokenLengths = std::array<size_t, kTokens>;

bool IsAbsolute(char type) { return type == 'A' || type == 'a'; }
uint64_t AlignUp(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// Counts every read the table makes of the dump, below the page cache (Kallsyms::Stats).
class CountingReader final : public MemoryReader {
 public:
  explicit CountingReader(MemoryReader& memory) : memory_(&memory) {}
  Status ReadVirtual(uint64_t address, void* buffer, size_t size) override {
    ++reads_;
    bytes_ += size;
    return memory_->ReadVirtual(address, buffer, size);
  }
  size_t reads() const { return reads_; }
  uint64_t bytes() const { return bytes_; }

 private:
  MemoryReader* memory_;
  size_t reads_ = 0;
  uint64_t bytes_ = 0;
};

Result<TokenTable> ReadTokens(MemoryReader& memory, uint64_t table, uint64_t index) {
  std::array<uint8_t, kTokens * 2> raw{};
  if (Status s = memory.ReadVirtual(index, raw.data(), raw.size()); !s.ok()) {
    return Error{"cannot read kallsyms_token_index at " + HexString(index) + ": " + s.error().message};
  }
  std::array<uint16_t, kTokens> offsets{};
  for (size_t i = 0; i < kTokens; ++i) offsets[i] = LoadU16(raw.data() + 2 * i);
  const uint64_t table_size = *std::max_element(offsets.begin(), offsets.end()) + kMaxToken;

  TokenTable tokens;
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

// Reads the compressed name at `offset` in kallsyms_names through `read` (Status(offset, out, n)):
// a length (one byte, or two when the first has its top bit set, for the long Rust names since
// 6.1), then that many token indexes, which must expand to a type letter and a name no longer than
// KSYM_NAME_LEN. Leaves the token indexes in `tokens`; returns the next name's offset.
template <typename ReadAt>
Result<uint64_t> DecodeName(ReadAt& read, uint64_t offset, uint32_t entry, const TokenLengths& lengths,
                            std::vector<uint8_t>& tokens) {
  auto fail = [&](const std::string& what) { return Error{"kallsyms_names entry " + std::to_string(entry) + what}; };
  auto unreadable = [&](const Error& e) {
    return Error{"cannot read kallsyms_names entry " + std::to_string(entry) + ": " + e.message};
  };
  std::array<uint8_t, 2> head{};
  if (Status s = read(offset, &head[0], 1); !s.ok()) return unreadable(s.error());
  uint32_t length = head[0];
  uint64_t at = offset + 1;
  if ((length & 0x80) != 0) {
    if (Status s = read(at, &head[1], 1); !s.ok()) return unreadable(s.error());
    length = (length & 0x7f) | (uint32_t{head[1]} << 7);
    ++at;
  }
  if (length == 0) return fail(" is empty: the table is corrupt");
  tokens.resize(length);
  if (Status s = read(at, tokens.data(), length); !s.ok()) return unreadable(s.error());
  size_t expanded = 0;
  for (uint8_t token : tokens) expanded += lengths[token];
  if (expanded > kMaxNameLength) {
    return fail(" expands beyond " + std::to_string(kMaxNameLength) + " characters: the table is corrupt");
  }
  if (expanded < 2) return fail(" has no name after its type letter");
  return at + length;
}

// Whether token indexes `encoded` expand to a type letter followed by exactly `name`, expanding only
// while it still matches: most names differ from the one sought in their first token.
bool NameIs(const std::vector<uint8_t>& encoded, const TokenTable& tokens, std::string_view name) {
  size_t matched = 0;
  bool type_skipped = false;
  for (uint8_t b : encoded) {
    std::string_view token = tokens[b];
    if (!type_skipped && !token.empty()) {
      token.remove_prefix(1);  // the type letter
      type_skipped = true;
    }
    if (token.size() > name.size() - matched || name.compare(matched, token.size(), token) != 0) return false;
    matched += token.size();
  }
  return matched == name.size();
}

// Consecutive entries of kallsyms_offsets (or kallsyms_addresses), decoded.
struct TablePage {
  uint32_t first = 0;  // entry of addresses[0]
  std::vector<uint64_t> addresses;
};

}  // namespace

struct Kallsyms::State {
  explicit State(MemoryReader& memory) : counting(memory), pages(counting) {}

  // --- Addresses: kallsyms_offsets (int32 from a base) or kallsyms_addresses (uint64), in the
  // kernel's order, which scripts/kallsyms makes the address order.

  size_t EntrySize() const { return relative ? 4 : 8; }
  const char* AddressTableName() const { return relative ? "kallsyms_offsets" : "kallsyms_addresses"; }

  // Whether the offsets use CONFIG_KALLSYMS_ABSOLUTE_PERCPU's encoding (x86-64 SMP), which
  // VMCOREINFO does not say. Under it (kernel/kallsyms.c kallsyms_sym_address()) an entry >= 0 is
  // an absolute value, the per-CPU symbols, and the image's symbols are stored as
  // -1 - (address - base), < 0. Without it every entry is an unsigned distance from the base below
  // 2 GiB (no kernel image is larger), so >= 0 as an int. The table is sorted by address and ends
  // with the image's symbols either way, so its last entry tells the two apart, as a scan for any
  // negative entry would.
  Status DecideEncoding() {
    if (!relative || absolute_percpu) return Ok{};
    Result<uint32_t> last = pages.ReadU32(address_table + 4 * uint64_t{count - 1});
    if (!last.ok()) return Error{"cannot read kallsyms_offsets entry " + std::to_string(count - 1) + ": " + last.error().message};
    absolute_percpu = static_cast<int32_t>(*last) < 0;
    return Ok{};
  }

  uint64_t DecodeOffset(uint32_t raw) const {
    const int32_t offset = static_cast<int32_t>(raw);
    if (!absolute_percpu.value_or(false)) return relative_base + raw;
    if (offset >= 0) return static_cast<uint64_t>(offset);
    return relative_base - 1 - static_cast<uint64_t>(static_cast<int64_t>(offset));
  }

  // The entries of the table on one page of it, decoded. The lookup is the kernel's own
  // get_symbol_pos(), a binary search that relies on the order scripts/kallsyms sorts the table in,
  // so every page read is checked for that order; a table found out of order is read whole and
  // sorted, as it was before lookups went lazy. (An order broken only in pages never read cannot
  // make a lookup's answer differ from the one the kernel itself would give.) Null when the table
  // was just read whole.
  Result<const TablePage*> PageOf(uint32_t entry) {
    const uint64_t size = EntrySize();
    const uint64_t at = address_table + size * entry;
    const uint64_t page = at - at % PageCache::kPageSize;
    if (auto it = table_pages.find(page); it != table_pages.end()) return &it->second;
    if (Status s = DecideEncoding(); !s.ok()) return s.error();
    // The entries starting on the page (entries are aligned, so they also end on it).
    const uint32_t first = page <= address_table ? 0 : static_cast<uint32_t>((page - address_table + size - 1) / size);
    const uint64_t last_on_page = (page + (PageCache::kPageSize - 1) - address_table) / size;
    const uint32_t last = static_cast<uint32_t>(std::min<uint64_t>(count - 1, last_on_page));
    std::vector<uint8_t> raw(size_t{last - first + 1} * size);
    if (Status s = pages.ReadVirtual(address_table + size * first, raw.data(), raw.size()); !s.ok()) {
      return Error{"cannot read " + std::string(AddressTableName()) + " entries " + std::to_string(first) + ".." +
                   std::to_string(last) + ": " + s.error().message};
    }
    TablePage decoded;
    decoded.first = first;
    decoded.addresses.reserve(last - first + 1);
    for (size_t i = 0; i < raw.size(); i += size) {
      const uint64_t address = relative ? DecodeOffset(LoadU32(raw.data() + i)) : LoadU64(raw.data() + i);
      if (!decoded.addresses.empty() && address < decoded.addresses.back()) {
        if (Status s = ReadWhole(); !s.ok()) return s.error();
        return nullptr;
      }
      decoded.addresses.push_back(address);
    }
    if (table_pages.size() >= kMaxCachedTablePages) table_pages.clear();
    return &(table_pages[page] = std::move(decoded));
  }

  // The address of table entry `entry` (kernel order).
  Result<uint64_t> EntryAddress(uint32_t entry) {
    if (!whole) {
      Result<const TablePage*> page = PageOf(entry);
      if (!page.ok()) return page.error();
      if (*page != nullptr) return (*page)->addresses[entry - (*page)->first];
    }
    return entry_addresses[entry];
  }

  Status ReadWhole() {
    const size_t size = EntrySize();
    std::vector<uint8_t> raw(size_t{count} * size);
    if (Status s = counting.ReadVirtual(address_table, raw.data(), raw.size()); !s.ok()) {
      return Error{"cannot read " + std::string(AddressTableName()) + ": " + s.error().message};
    }
    entry_addresses.resize(count);
    if (!relative) {
      for (uint32_t i = 0; i < count; ++i) entry_addresses[i] = LoadU64(raw.data() + size_t{i} * 8);
    } else {
      // Out of order, the last entry proves nothing: any negative entry means the per-CPU encoding.
      bool any_negative = false;
      for (uint32_t i = 0; i < count; ++i) any_negative |= static_cast<int32_t>(LoadU32(raw.data() + size_t{i} * 4)) < 0;
      absolute_percpu = any_negative;
      for (uint32_t i = 0; i < count; ++i) entry_addresses[i] = DecodeOffset(LoadU32(raw.data() + size_t{i} * 4));
    }
    // Stable, so aliases keep the kernel's order and the first of them names an address.
    order.resize(count);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return entry_addresses[a] < entry_addresses[b]; });
    whole = true;
    return Ok{};
  }

  // Position `position` in address order.
  Result<uint64_t> AddressAt(uint32_t position) {
    if (whole) return entry_addresses[order[position]];
    return EntryAddress(position);  // sorted: positions are entries
  }
  uint32_t EntryAt(uint32_t position) const { return whole ? order[position] : position; }

  // The first position whose address is above `address`. Each page of the table read settles all
  // of its entries still in range, so the search ends on the page holding the answer instead of
  // bisecting down to it across the pages on either side.
  Result<uint32_t> UpperBound(uint64_t address) {
    uint32_t low = 0, high = count;
    while (low < high) {
      const uint32_t middle = low + (high - low) / 2;
      if (whole) {
        if (entry_addresses[order[middle]] <= address) {
          low = middle + 1;
        } else {
          high = middle;
        }
        continue;
      }
      Result<const TablePage*> page = PageOf(middle);
      if (!page.ok()) return page.error();
      if (*page == nullptr) continue;  // read whole just now: go on in the sorted copy
      const TablePage& p = **page;
      const uint32_t begin = std::max(low, p.first);
      const uint32_t end = static_cast<uint32_t>(std::min<uint64_t>(high, p.first + p.addresses.size()));
      const auto from = p.addresses.begin() + (begin - p.first);
      const uint32_t split = begin + static_cast<uint32_t>(
                                         std::upper_bound(from, p.addresses.begin() + (end - p.first), address) - from);
      if (split == begin) {
        high = begin;
      } else if (split == end) {
        low = end;
      } else {
        low = high = split;
      }
    }
    return low;
  }

  Result<std::optional<SymbolLocation>> Search(uint64_t address) {
    using Answer = std::optional<SymbolLocation>;
    // The first position above `address`, then the symbol before it.
    Result<uint32_t> upper = UpperBound(address);
    if (!upper.ok()) return upper.error();
    const uint32_t after = *upper;
    if (after == 0) return Answer{};
    Result<uint64_t> start = AddressAt(after - 1);
    if (!start.ok()) return start.error();
    // Past the last symbol there is no end to measure against (module text, vmalloc...): the kernel
    // does not name such an address from its own table either.
    if (after == count && address != *start) return Answer{};
    // The first of the aliases at the start address names it, as get_symbol_pos() picks it.
    uint32_t first = after - 1;
    while (first > 0) {
      Result<uint64_t> previous = AddressAt(first - 1);
      if (!previous.ok()) return previous.error();
      if (*previous != *start) break;
      --first;
    }
    uint64_t size = 0;
    if (after < count) {
      Result<uint64_t> next = AddressAt(after);  // above `address`, so above the start (when sorted)
      if (!next.ok()) return next.error();
      size = *next - *start;
    }
    Result<std::string> expanded = Name(EntryAt(first));
    if (!expanded.ok()) return expanded.error();
    // Absolute symbols (the per-CPU offsets on x86-64) are not code or data at that address.
    if (IsAbsolute((*expanded)[0])) return Answer{};
    SymbolLocation location;
    location.type = (*expanded)[0];
    location.name = expanded->substr(1);
    location.address = *start;
    location.offset = address - *start;
    location.size = size;
    return Answer{std::move(location)};
  }

  // --- Names: kallsyms_names, in the kernel's order.

  Status ReadNames(uint64_t offset, void* out, size_t n) {
    if (offset > std::numeric_limits<uint64_t>::max() - names) {
      return Error{"offset " + std::to_string(offset) + " into kallsyms_names wraps around the address space"};
    }
    return pages.ReadVirtual(names + offset, out, n);
  }

  // The offsets of the names of block `block` (256 of them, fewer in the last), decoded from
  // `start`, and one more: where the block ends. `unreadable` tells a read failure (a page missing
  // from the dump) from bytes that are not names.
  Result<std::vector<uint64_t>> DecodeBlock(uint32_t block, uint64_t start, bool& unreadable) {
    unreadable = false;
    auto read = [&](uint64_t offset, void* out, size_t n) {
      Status s = ReadNames(offset, out, n);
      unreadable |= !s.ok();
      return s;
    };
    const uint32_t first = block * kBlock;
    const uint32_t end = static_cast<uint32_t>(std::min<uint64_t>(count, uint64_t{first} + kBlock));
    std::vector<uint64_t> offsets;
    offsets.reserve(end - first + 1);
    uint64_t at = start;
    for (uint32_t entry = first; entry < end; ++entry) {
      offsets.push_back(at);
      Result<uint64_t> next = DecodeName(read, at, entry, token_lengths, scratch);
      if (!next.ok()) return next.error();
      at = *next;
    }
    offsets.push_back(at);
    return offsets;
  }

  uint32_t Blocks() const { return static_cast<uint32_t>((uint64_t{count} + kBlock - 1) / kBlock); }

  // Where kallsyms_markers is, which VMCOREINFO does not say. scripts/kallsyms emits the names,
  // then the markers (the offset of name 256k for each k), every label `.balign 8`, and what
  // follows the markers has changed: 6.2 put kallsyms_seqs_of_names (3 bytes a symbol) between
  // them and kallsyms_token_table, and the 6.1.176 kernels of our dumps have it so too; a later
  // reordering (6.4) moved it after the offsets, so the token table follows the markers again; and
  // older kernels made a marker pointer-sized (PTR, a .quad on 64-bit) rather than a .long. Each
  // layout gives one place to look, counting back from the token table, ours first. The first
  // place holding values that can be markers is taken, and every block of names is checked against
  // it before its offsets are used (NameOffset), so a wrong guess costs only the fallback walk.
  void LocateMarkers() {
    struct Layout {
      uint64_t width;    // bytes a marker
      uint64_t between;  // bytes between the markers and the token table
    };
    const uint64_t blocks = Blocks();
    const Layout layouts[] = {
        {4, AlignUp(3 * uint64_t{count}, kLabelAlign)},  // 6.2, 6.3, our 6.1.176 dumps
        {4, 0},                                           // 6.4 on
        {8, 0},                                           // older kernels, on 64-bit
        {4, AlignUp(4 * uint64_t{count}, kLabelAlign)},   // kallsyms_seqs_of_names as a .long
    };
    for (const Layout& layout : layouts) {
      const uint64_t bytes = AlignUp(blocks * layout.width, kLabelAlign);
      if (token_table < names || token_table - names < layout.between + bytes) continue;
      const uint64_t at = token_table - layout.between - bytes;
      std::vector<uint8_t> raw(blocks * layout.width);
      if (!pages.ReadVirtual(at, raw.data(), raw.size()).ok()) continue;
      std::vector<uint64_t> values(blocks);
      for (uint64_t k = 0; k < blocks; ++k) {
        const uint8_t* p = raw.data() + k * layout.width;
        values[k] = layout.width == 4 ? LoadU32(p) : LoadU64(p);
      }
      if (!PlausibleMarkers(values, at - names)) continue;
      markers = std::move(values);
      markers_address = at;
      markers_state = Stats::Markers::kValidated;
      return;
    }
    Reject("nothing before kallsyms_token_table at " + HexString(token_table) + " reads as the markers of " +
           std::to_string(count) + " names");
  }

  // Markers start at 0 and step by a block of names each: 256 names of 2 to 2 + 0x3fff bytes; the
  // last block fits between the last marker and the markers themselves (`names_bytes` after the
  // start of the names).
  bool PlausibleMarkers(const std::vector<uint64_t>& values, uint64_t names_bytes) const {
    if (values.empty() || values[0] != 0) return false;
    for (size_t k = 1; k < values.size(); ++k) {
      if (values[k] < values[k - 1]) return false;
      const uint64_t step = values[k] - values[k - 1];
      if (step < kBlock * kMinEncodedName || step > kBlock * kMaxEncodedName) return false;
    }
    const uint64_t last_names = count - (uint64_t{Blocks()} - 1) * kBlock;
    return values.back() <= names_bytes && names_bytes - values.back() >= last_names * kMinEncodedName;
  }

  // Whether block `block`, decoded from its marker, ends where the next block starts: at the next
  // marker, or for the last block at the markers themselves, less the alignment padding.
  std::string CheckBlockEnd(uint32_t block, uint64_t end) const {
    if (block + 1 < markers.size()) {
      if (end == markers[block + 1]) return "";
      return "names block " + std::to_string(block) + " ends at offset " + std::to_string(end) + ", not at the next marker " +
             std::to_string(markers[block + 1]);
    }
    const uint64_t markers_offset = markers_address - names;
    if (end <= markers_offset && markers_offset - end < kLabelAlign) return "";
    return "the last names block ends at offset " + std::to_string(end) + ", not right before the markers at offset " +
           std::to_string(markers_offset);
  }

  void Reject(const std::string& why) {
    markers_state = Stats::Markers::kRejected;
    markers_rejected_because = why;
    markers.clear();
  }

  const std::vector<uint64_t>& Keep(uint32_t block, std::vector<uint64_t> offsets) {
    if (blocks.size() >= kMaxCachedBlocks) blocks.clear();
    return blocks[block] = std::move(offsets);
  }

  // Decodes names in order from name 256 * `from_block` (whose offset a walk found before) until
  // `visit(entry, tokens)` returns false or the table ends, noting where each block starts.
  template <typename Visit>
  Status Walk(uint32_t from_block, Visit&& visit) {
    const uint64_t start = walked[from_block];
    const uint32_t first = from_block * kBlock;
    if (start > std::numeric_limits<uint64_t>::max() - names) return Error{"kallsyms_names wraps around the address space"};
    RegionReader region(counting, names + start, uint64_t{count - first} * kMaxEncodedName, kNamesWindow);
    auto read = [&](uint64_t offset, void* out, size_t n) { return region.Read(offset - start, out, n); };
    uint64_t at = start;
    for (uint32_t entry = first; entry < count; ++entry) {
      if (entry % kBlock == 0 && entry / kBlock == walked.size()) walked.push_back(at);
      Result<uint64_t> next = DecodeName(read, at, entry, token_lengths, scratch);
      if (!next.ok()) return next.error();
      at = *next;
      if (!visit(entry, scratch)) break;
    }
    return Ok{};
  }

  // The offset of entry `entry`'s name: from its block's marker once the markers check out, else
  // from the block starts a walk from the first name found (kept, so each name is walked over once).
  Result<uint64_t> NameOffset(uint32_t entry) {
    const uint32_t block = entry / kBlock;
    if (auto it = blocks.find(block); it != blocks.end()) return it->second[entry % kBlock];
    if (markers_state == Stats::Markers::kUnchecked) LocateMarkers();
    if (markers_state == Stats::Markers::kValidated) {
      bool unreadable = false;
      Result<std::vector<uint64_t>> offsets = DecodeBlock(block, markers[block], unreadable);
      // The markers bound every block inside the names table: a page of it missing from the dump
      // would stop a walk too.
      if (!offsets.ok() && unreadable) return offsets.error();
      const std::string mismatch = offsets.ok() ? CheckBlockEnd(block, offsets->back()) : offsets.error().message;
      if (mismatch.empty()) {
        ++blocks_verified;
        return Keep(block, std::move(*offsets))[entry % kBlock];
      }
      Reject("kallsyms_markers guessed at " + HexString(markers_address) + ": " + mismatch);
    }
    if (walked.size() <= block) {
      Status s = Walk(static_cast<uint32_t>(walked.size() - 1),
                      [&](uint32_t, const std::vector<uint8_t>&) { return walked.size() <= block; });
      if (!s.ok()) return s.error();
    }
    bool unreadable = false;
    Result<std::vector<uint64_t>> offsets = DecodeBlock(block, walked[block], unreadable);
    if (!offsets.ok()) return offsets.error();
    if (walked.size() == block + 1 && block + 1 < Blocks()) walked.push_back(offsets->back());
    return Keep(block, std::move(*offsets))[entry % kBlock];
  }

  // The type letter and name of entry `entry`, expanded.
  Result<std::string> Name(uint32_t entry) {
    Result<uint64_t> offset = NameOffset(entry);
    if (!offset.ok()) return offset.error();
    auto read = [&](uint64_t at, void* out, size_t n) { return ReadNames(at, out, n); };
    Result<uint64_t> next = DecodeName(read, *offset, entry, token_lengths, scratch);
    if (!next.ok()) return next.error();
    std::string expanded;
    for (uint8_t token : scratch) expanded += tokens[token];
    return expanded;  // DecodeName checked it holds a type letter and a name
  }

  // Every name once, to its entries: one walk instead of one per name asked.
  Status BuildIndex() {
    if (by_name) return Ok{};
    std::unordered_map<std::string, std::vector<uint32_t>> index;
    index.reserve(count);
    std::string expanded;
    Status walk = Walk(0, [&](uint32_t entry, const std::vector<uint8_t>& encoded) {
      expanded.clear();
      for (uint8_t token : encoded) expanded += tokens[token];
      if (expanded.size() > 1) index[expanded.substr(1)].push_back(entry);  // without the type letter
      return true;
    });
    if (!walk.ok()) return walk.error();
    by_name = std::move(index);
    return Ok{};
  }

  Result<std::optional<uint64_t>> AddressOf(std::string_view name) {
    std::vector<uint32_t> matches;
    if (by_name) {
      if (auto it = by_name->find(std::string(name)); it != by_name->end()) matches = it->second;
      return Lowest(matches);
    }
    Status walk = Walk(0, [&](uint32_t entry, const std::vector<uint8_t>& encoded) {
      if (NameIs(encoded, tokens, name)) matches.push_back(entry);
      return true;
    });
    if (!walk.ok()) return walk.error();
    return Lowest(matches);
  }

  // Statics share names: the lowest address, as the first in address order.
  Result<std::optional<uint64_t>> Lowest(const std::vector<uint32_t>& matches) {
    std::optional<uint64_t> lowest;
    for (uint32_t entry : matches) {
      Result<uint64_t> address = EntryAddress(entry);
      if (!address.ok()) return address.error();
      if (!lowest || *address < *lowest) lowest = *address;
    }
    return lowest;
  }

  std::optional<std::unordered_map<std::string, std::vector<uint32_t>>> by_name;  // BuildIndex
  CountingReader counting;  // every read of the dump goes through it, for Stats
  PageCache pages;          // lookups' reads: a binary search comes back to its pages

  uint32_t count = 0;
  uint64_t names = 0;
  uint64_t token_table = 0;
  TokenTable tokens;
  TokenLengths token_lengths{};

  uint64_t address_table = 0;
  bool relative = true;  // kallsyms_offsets + kallsyms_relative_base, else kallsyms_addresses
  uint64_t relative_base = 0;
  std::optional<bool> absolute_percpu;    // decided on first use (DecideEncoding)
  std::unordered_map<uint64_t, TablePage> table_pages;  // by page address, checked for order
  bool whole = false;                     // the table was out of order: read whole and sorted
  std::vector<uint64_t> entry_addresses;  // when whole: by entry
  std::vector<uint32_t> order;            // when whole: address order -> entry

  Stats::Markers markers_state = Stats::Markers::kUnchecked;
  std::string markers_rejected_because;
  std::vector<uint64_t> markers;  // offsets of names 256k, when located
  uint64_t markers_address = 0;
  size_t blocks_verified = 0;
  std::unordered_map<uint32_t, std::vector<uint64_t>> blocks;  // block -> offsets of its names
  std::vector<uint64_t> walked{0};  // walked[k]: offset of name 256k, as walks found it
  std::vector<uint8_t> scratch;     // token indexes of the name last decoded
};

Kallsyms::Kallsyms(std::unique_ptr<State> state) : state_(std::move(state)) {}
Kallsyms::Kallsyms(Kallsyms&&) noexcept = default;
Kallsyms& Kallsyms::operator=(Kallsyms&&) noexcept = default;
Kallsyms::~Kallsyms() = default;

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

  auto state = std::make_unique<State>(memory);
  // Through the page cache: kallsyms_offsets ends on this page in 6.1, and a lookup's first read
  // is the last offset.
  Result<uint32_t> num_syms = state->pages.ReadU32(num_syms_address);
  if (!num_syms.ok()) return Error{"cannot read kallsyms_num_syms: " + num_syms.error().message};
  const uint32_t count = *num_syms;
  if (count == 0 || count > kMaxSymbols) {
    return Error{"kallsyms_num_syms is " + std::to_string(count) + ", outside 1.." + std::to_string(kMaxSymbols)};
  }
  state->count = count;
  state->names = names_address;
  state->token_table = token_table;
  if (addresses_address) {
    state->relative = false;
    state->address_table = *addresses_address;
  } else {
    state->address_table = *offsets_address;
    Result<uint64_t> base = state->pages.ReadU64(*relative_base_address);
    if (!base.ok()) return Error{"cannot read kallsyms_relative_base: " + base.error().message};
    state->relative_base = *base;
  }
  Result<TokenTable> tokens = ReadTokens(state->pages, token_table, token_index);
  if (!tokens.ok()) return tokens.error();
  state->tokens = std::move(*tokens);
  for (size_t t = 0; t < kTokens; ++t) state->token_lengths[t] = state->tokens[t].size();
  return Kallsyms(std::move(state));
}

Result<std::optional<SymbolLocation>> Kallsyms::LookupOrError(uint64_t address) {
  if (!state_) return Error{"kallsyms: the table was moved away"};
  const bool was_whole = state_->whole;
  Result<std::optional<SymbolLocation>> found = state_->Search(address);
  // Found out of order midway: the positions searched so far were not address order.
  if (state_->whole != was_whole) found = state_->Search(address);
  return found;
}

std::optional<SymbolLocation> Kallsyms::Lookup(uint64_t address) {
  Result<std::optional<SymbolLocation>> found = LookupOrError(address);
  if (!found.ok()) return std::nullopt;
  return std::move(*found);
}

Result<std::optional<uint64_t>> Kallsyms::AddressOfOrError(std::string_view name) {
  if (!state_) return Error{"kallsyms: the table was moved away"};
  return state_->AddressOf(name);
}

Status Kallsyms::IndexNames() {
  if (!state_) return Error{"kallsyms: the table was moved away"};
  return state_->BuildIndex();
}

std::optional<uint64_t> Kallsyms::AddressOf(std::string_view name) {
  Result<std::optional<uint64_t>> found = AddressOfOrError(name);
  if (!found.ok()) return std::nullopt;
  return *found;
}

size_t Kallsyms::size() const { return state_ ? state_->count : 0; }

Kallsyms::Stats Kallsyms::stats() const {
  Stats stats;
  if (!state_) return stats;
  stats.reads = state_->counting.reads();
  stats.bytes_read = state_->counting.bytes();
  stats.markers = state_->markers_state;
  stats.marker_blocks_verified = state_->blocks_verified;
  stats.markers_rejected_because = state_->markers_rejected_because;
  stats.whole_address_table = state_->whole;
  return stats;
}

}  // namespace ktriage
