// Kallsyms on synthetic tables laid out and encoded as scripts/kallsyms does it (token compression,
// both name length forms, the three address encodings, kallsyms_markers where 6.1 and 6.2 put it,
// or broken), on broken tables, on what a lookup costs in reads, and, when the real dumps are
// cached, against a full decode of their tables and the symbol+offset/size the kernel printed.
#include "analyzer/vmcore/kallsyms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/region_reader.h"
#include "tests/vmcore/dump_cache.h"
#include "tests/vmcore/fake_memory.h"

namespace ktriage {
namespace {

using testing::FakeMemory;
using Markers = Kallsyms::Stats::Markers;

constexpr uint64_t kPage = 4096;

struct Symbol {
  char type;
  std::string name;
  uint64_t address;
};

enum class Encoding { kAbsolutePercpu, kRelative, kAbsoluteAddresses };

// How an image lays its tables out and maps them. By default as the 6.1.176 kernels of our real
// dumps do, which took 6.2's layout: .long markers, then kallsyms_seqs_of_names, then the tokens.
struct Layout {
  // One mapping of whole pages from the first table to a page past the last, as a kernel's .rodata
  // is. Off: each table mapped alone and exactly, so reads past a table's end fail.
  bool contiguous = true;
  bool markers = true;         // kallsyms_markers after the names (scripts/kallsyms always writes it)
  uint64_t marker_width = 4;   // a .long; pointer-sized before 6.2
  bool seqs_of_names = true;   // 6.2 and 6.3: kallsyms_seqs_of_names between the markers and the tokens
};

uint64_t Align8(uint64_t v) { return (v + 7) & ~uint64_t{7}; }

// The kallsyms_* tables of a kernel image, in FakeMemory, in 6.1's order (offsets, relative base,
// count, names, markers, [seqs of names,] token table, token index; each label 8-aligned) from the
// address of kallsyms_offsets in a real 6.1 image.
struct KallsymsImage {
  static constexpr uint64_t kStart = 0xffffffff8211fad0;

  FakeMemory memory;
  std::vector<std::string> tokens = Tokens();
  uint64_t addresses = kStart;  // kallsyms_offsets, or kallsyms_addresses
  uint64_t relative_base = 0, num_syms = 0, names = 0, markers = 0, seqs = 0, token_table = 0, token_index = 0, end = 0;
  size_t names_size = 0;
  size_t token_table_size = 0;
  std::vector<uint32_t> marker_values;
  uint64_t marker_width = 4;
  Encoding encoding = Encoding::kAbsolutePercpu;

  void SetMarker(size_t k, uint64_t value) {
    if (marker_width == 8) {
      memory.U64(markers + 8 * k, value);
    } else {
      memory.U32(markers + 4 * k, static_cast<uint32_t>(value));
    }
  }

  // Like the real table: multi-character tokens, some spanning the type letter and the name.
  static std::vector<std::string> Tokens() {
    std::vector<std::string> t(256);
    for (int i = 0; i < 256; ++i) t[i] = "<" + std::to_string(i) + ">";
    for (int c = 0x21; c < 0x7f; ++c) t[c] = std::string(1, static_cast<char>(c));
    t[1] = "Tnet";
    t[2] = "sys_";
    t[3] = "_xmit";
    t[4] = "dev";
    t[5] = "ed_";
    return t;
  }

  // Greedy longest-token encoding (scripts/kallsyms finds better ones; any valid one decodes).
  std::vector<uint8_t> Encode(std::string_view expanded) const {
    std::vector<uint8_t> out;
    size_t at = 0;
    while (at < expanded.size()) {
      size_t best = 0, best_len = 0;
      for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].size() > best_len && expanded.substr(at, tokens[i].size()) == tokens[i]) {
          best = i;
          best_len = tokens[i].size();
        }
      }
      EXPECT_GT(best_len, 0u) << "cannot encode " << expanded;
      if (best_len == 0) break;
      out.push_back(static_cast<uint8_t>(best));
      at += best_len;
    }
    return out;
  }

  static std::vector<uint8_t> Length(size_t n) {
    if (n < 0x80) return {static_cast<uint8_t>(n)};
    return {static_cast<uint8_t>(0x80 | (n & 0x7f)), static_cast<uint8_t>(n >> 7)};
  }

  void Build(const std::vector<Symbol>& symbols, Encoding how, uint64_t base, Layout layout = {}) {
    encoding = how;
    marker_width = layout.marker_width;
    std::vector<uint8_t> name_bytes;
    for (size_t i = 0; i < symbols.size(); ++i) {
      if (i % 256 == 0) marker_values.push_back(static_cast<uint32_t>(name_bytes.size()));
      std::vector<uint8_t> encoded = Encode(std::string(1, symbols[i].type) + symbols[i].name);
      for (uint8_t b : Length(encoded.size())) name_bytes.push_back(b);
      name_bytes.insert(name_bytes.end(), encoded.begin(), encoded.end());
    }
    names_size = name_bytes.size();
    std::string table;
    std::vector<uint16_t> index;
    for (const std::string& token : tokens) {
      index.push_back(static_cast<uint16_t>(table.size()));
      table += token;
      table += '\0';
    }
    token_table_size = table.size();

    const size_t count = symbols.size();
    const uint64_t entry = how == Encoding::kAbsoluteAddresses ? 8 : 4;
    uint64_t at = kStart + count * entry;
    if (how != Encoding::kAbsoluteAddresses) {
      relative_base = Align8(at);
      at = relative_base + 8;
    }
    num_syms = Align8(at);
    names = Align8(num_syms + 4);
    markers = Align8(names + names_size);
    at = layout.markers ? markers + marker_width * marker_values.size() : markers;
    seqs = Align8(at);
    at = layout.seqs_of_names ? seqs + 3 * count : seqs;
    token_table = Align8(at);
    token_index = Align8(token_table + token_table_size);
    end = token_index + 512;

    if (layout.contiguous) {
      const uint64_t first = kStart & ~(kPage - 1);
      memory.Map(first, ((end + kPage - 1) & ~(kPage - 1)) + kPage - first);
    } else {
      memory.Map(addresses, count * entry);
      if (how != Encoding::kAbsoluteAddresses) memory.Map(relative_base, 8);
      memory.Map(num_syms, 4);
      memory.Map(names, names_size);
      if (layout.markers) memory.Map(markers, marker_width * marker_values.size());
      if (layout.seqs_of_names) memory.Map(seqs, 3 * count);
      memory.Map(token_table, token_table_size);
      memory.Map(token_index, 512);
    }

    memory.U32(num_syms, static_cast<uint32_t>(count));
    memory.Bytes(names, name_bytes.data(), name_bytes.size());
    if (layout.markers) {
      for (size_t k = 0; k < marker_values.size(); ++k) SetMarker(k, marker_values[k]);
    }
    if (layout.seqs_of_names) {  // some permutation: the reader must not care
      for (size_t i = 0; i < count; ++i) {
        const uint32_t seq = static_cast<uint32_t>(count - 1 - i);
        const uint8_t bytes[3] = {static_cast<uint8_t>(seq >> 16), static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq)};
        memory.Bytes(seqs + 3 * i, bytes, 3);
      }
    }
    memory.Text(token_table, table);
    for (size_t i = 0; i < index.size(); ++i) memory.U16(token_index + 2 * i, index[i]);

    if (how == Encoding::kAbsoluteAddresses) {
      for (size_t i = 0; i < count; ++i) memory.U64(addresses + 8 * i, symbols[i].address);
      return;
    }
    memory.U64(relative_base, base);
    for (size_t i = 0; i < count; ++i) {
      const uint64_t a = symbols[i].address;
      int64_t offset;
      if (how == Encoding::kRelative) {
        offset = static_cast<int64_t>(a - base);
      } else if (a < base) {
        offset = static_cast<int64_t>(a);  // per-CPU symbols: absolute, non-negative
      } else {
        offset = -1 - static_cast<int64_t>(a - base);
      }
      memory.U32(addresses + 4 * i, static_cast<uint32_t>(offset));
    }
  }

  std::string Note() const {
    auto line = [](const char* name, uint64_t address) {
      char text[96];
      std::snprintf(text, sizeof text, "SYMBOL(%s)=%llx\n", name, static_cast<unsigned long long>(address));
      return std::string(text);
    };
    std::string note = "OSRELEASE=6.1.0-50-cloud-amd64\n" + line("kallsyms_names", names) +
                       line("kallsyms_num_syms", num_syms) + line("kallsyms_token_table", token_table) +
                       line("kallsyms_token_index", token_index);
    if (encoding == Encoding::kAbsoluteAddresses) return note + line("kallsyms_addresses", addresses);
    return note + line("kallsyms_offsets", addresses) + line("kallsyms_relative_base", relative_base);
  }
};

VmcoreInfo Info(const std::string& text) {
  Result<VmcoreInfo> info = VmcoreInfo::Parse(text);
  EXPECT_TRUE(info.ok());
  return info.ok() ? *info : VmcoreInfo{};
}

Result<Kallsyms> Load(KallsymsImage& image) { return Kallsyms::Load(image.memory, Info(image.Note())); }

const std::string kRustName = "_RNvMs_NtCs3uVhYCbZNfi_6kernel4syncINtB4_3ArcNtNtCs3uVhYCbZNfi_4core6option6OptionE" +
                              std::string(117, 'x');  // 200 characters: needs the two-byte length

constexpr uint64_t kImageBase = 0xffffffff81000000;

// An x86-64 6.1 image in miniature, sorted by address as scripts/kallsyms sorts it.
std::vector<Symbol> X86Symbols() {
  return {
      {'A', "fixed_percpu_data", 0x0},
      {'A', "cpu_debug_store", 0x1000},
      {'T', "_text", 0xffffffff81000000},
      {'T', "_stext", 0xffffffff81000000},
      {'t', "cleanup", 0xffffffff81100000},
      {'t', "cleanup", 0xffffffff81200000},
      {'T', "netdev_pick_tx", 0xffffffff8179df10},
      {'T', "dev_queue_xmit_nit", 0xffffffff8179e1a4},
      {'t', "sys_sendmmsg.cold", 0xffffffff8179e400},
      {'T', kRustName, 0xffffffff817a0000},
      {'D', "jiffies", 0xffffffff82a05000},
      {'B', "_end", 0xffffffff83830000},
  };
}

// `n` symbols of an x86-64 image, sorted as scripts/kallsyms sorts them: two per-CPU ones, then
// text with aliases (every 97th shares the previous address), statics sharing a name, and now and
// then a long Rust name (the two-byte length form) inside a block of 256.
std::vector<Symbol> ManySymbols(size_t n) {
  std::vector<Symbol> out = {{'A', "fixed_percpu_data", 0x0}, {'A', "cpu_debug_store", 0x1000}};
  uint64_t address = kImageBase;
  for (size_t i = out.size(); i < n; ++i) {
    if (i > 2 && i % 97 != 0) address += 0x10 + (i * 37) % 0x300;
    Symbol s{i % 5 == 0 ? 'T' : 't', "", address};
    if (i % 211 == 0) {
      s.name = kRustName + std::to_string(i);
    } else if (i % 50 == 0) {
      s.name = "cleanup";
    } else {
      s.name = (i % 3 != 0 ? "netdev_" : "sys_") + std::to_string(i) + (i % 7 == 0 ? "_xmit" : "");
    }
    out.push_back(s);
  }
  return out;
}

bool IsAbsoluteType(char type) { return type == 'A' || type == 'a'; }

// What the lookup must say for `address`, from the (sorted) symbol list itself.
std::optional<SymbolLocation> Expected(const std::vector<Symbol>& symbols, uint64_t address) {
  auto by_address = [](uint64_t a, const Symbol& s) { return a < s.address; };
  auto after = std::upper_bound(symbols.begin(), symbols.end(), address, by_address);
  if (after == symbols.begin()) return std::nullopt;
  const uint64_t start = (after - 1)->address;
  if (after == symbols.end() && address != start) return std::nullopt;
  auto first = std::find_if(symbols.begin(), after, [&](const Symbol& s) { return s.address == start; });
  if (IsAbsoluteType(first->type)) return std::nullopt;
  return SymbolLocation{first->name, start, address - start, after == symbols.end() ? 0 : after->address - start,
                        first->type};
}

void ExpectSame(const std::optional<SymbolLocation>& got, const std::optional<SymbolLocation>& want, uint64_t address) {
  ASSERT_EQ(got.has_value(), want.has_value()) << std::hex << address << (want ? " " + want->name : "");
  if (!want) return;
  EXPECT_EQ(got->name, want->name) << std::hex << address;
  EXPECT_EQ(got->address, want->address) << std::hex << address;
  EXPECT_EQ(got->offset, want->offset) << std::hex << address;
  EXPECT_EQ(got->size, want->size) << std::hex << address;
  EXPECT_EQ(got->type, want->type) << std::hex << address;
}

// Every symbol's start, one past it and one before it, and the edges of the address space.
std::vector<uint64_t> ProbeAddresses(const std::vector<Symbol>& symbols) {
  std::vector<uint64_t> out = {0, 0x10, 0xffff888003a41000, 0xffffffffc0a01000, ~uint64_t{0}};
  for (const Symbol& s : symbols) {
    out.push_back(s.address);
    out.push_back(s.address + 1);
    out.push_back(s.address - 1);
  }
  return out;
}

void ExpectLocation(Kallsyms& k, uint64_t address, const std::string& name, uint64_t offset, uint64_t size, char type) {
  std::optional<SymbolLocation> l = k.Lookup(address);
  ASSERT_TRUE(l.has_value()) << std::hex << address;
  EXPECT_EQ(l->name, name);
  EXPECT_EQ(l->offset, offset) << name;
  EXPECT_EQ(l->size, size) << name;
  EXPECT_EQ(l->type, type) << name;
  EXPECT_EQ(l->address, address - offset) << name;
}

TEST(KallsymsTest, DecodesAnX86AbsolutePercpuTable) {
  KallsymsImage image;
  image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase);
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->size(), 12u);

  ExpectLocation(*k, 0xffffffff8179df10 + 0x27c, "netdev_pick_tx", 0x27c, 0x294, 'T');
  ExpectLocation(*k, 0xffffffff8179e1a4, "dev_queue_xmit_nit", 0, 0x25c, 'T');
  ExpectLocation(*k, 0xffffffff8179e401, "sys_sendmmsg.cold", 1, 0x1c00, 't');
  ExpectLocation(*k, 0xffffffff817a0010, kRustName, 0x10, 0xffffffff82a05000 - 0xffffffff817a0000, 'T');
  // Aliases: the first in the kernel's order names the address; the size runs to the next address.
  ExpectLocation(*k, 0xffffffff81000005, "_text", 5, 0x100000, 'T');
  ExpectLocation(*k, 0xffffffff82a05008, "jiffies", 8, 0xffffffff83830000 - 0xffffffff82a05000, 'D');
  // The last symbol has no end: only its own address is named.
  ExpectLocation(*k, 0xffffffff83830000, "_end", 0, 0, 'B');
  EXPECT_FALSE(k->Lookup(0xffffffff83830001).has_value());
  EXPECT_FALSE(k->Lookup(0xffffffffc0a01000).has_value());  // module space
  // Per-CPU offsets are not addresses: a NULL dereference is not "fixed_percpu_data+0x10".
  EXPECT_FALSE(k->Lookup(0x10).has_value());
  EXPECT_FALSE(k->Lookup(0xffff888003a41000).has_value());
  EXPECT_FALSE(k->Lookup(0xffffffff80ffffff).has_value());
  // The one-block markers were found and checked against the names.
  EXPECT_EQ(k->stats().markers, Markers::kValidated) << k->stats().markers_rejected_because;
  EXPECT_EQ(k->stats().marker_blocks_verified, 1u);
  EXPECT_FALSE(k->stats().whole_address_table);

  EXPECT_EQ(k->AddressOf("netdev_pick_tx"), 0xffffffff8179df10u);
  EXPECT_EQ(k->AddressOf("_stext"), 0xffffffff81000000u);
  EXPECT_EQ(k->AddressOf("fixed_percpu_data"), 0u);
  EXPECT_EQ(k->AddressOf("cpu_debug_store"), 0x1000u);
  EXPECT_EQ(k->AddressOf(kRustName), 0xffffffff817a0000u);
  EXPECT_EQ(k->AddressOf("cleanup"), 0xffffffff81100000u);  // two statics: the lower one
  EXPECT_FALSE(k->AddressOf("netdev_pick").has_value());
  EXPECT_FALSE(k->AddressOf("").has_value());
}

TEST(KallsymsTest, TheLongNameReallyUsedTheTwoByteLength) {
  KallsymsImage image;
  EXPECT_EQ(image.Encode("T" + kRustName).size(), 201u);
  EXPECT_EQ(KallsymsImage::Length(201), (std::vector<uint8_t>{0xc9, 0x01}));
  EXPECT_EQ(image.Encode("Tnetdev_queue_xmit"), (std::vector<uint8_t>{1, 4, '_', 'q', 'u', 'e', 'u', 'e', 3}));
}

TEST(KallsymsTest, TheImageIsLaidOutAsScriptsKallsymsLaysIt) {
  // Checks the fixture the markers tests rely on, against the real 6.1.176 image: the markers right
  // after the names, one per 256, then 3 bytes a symbol of kallsyms_seqs_of_names, then the tokens.
  KallsymsImage image;
  const std::vector<Symbol> symbols = ManySymbols(1000);
  image.Build(symbols, Encoding::kAbsolutePercpu, kImageBase);
  EXPECT_EQ(image.relative_base, Align8(KallsymsImage::kStart + 4 * 1000));
  EXPECT_EQ(image.markers, Align8(image.names + image.names_size));
  EXPECT_EQ(image.seqs, Align8(image.markers + 4 * 4));
  EXPECT_EQ(image.token_table, Align8(image.seqs + 3 * 1000));
  ASSERT_EQ(image.marker_values.size(), 4u);
  EXPECT_EQ(image.marker_values[0], 0u);
  EXPECT_GT(image.marker_values[3], image.marker_values[2]);
  EXPECT_GT(image.names_size, size_t{1000 * 8});
}

TEST(KallsymsTest, DecodesARelativeTable) {
  // arm64 and others: offsets are unsigned distances from the base.
  const uint64_t base = 0xffff800008000000;
  std::vector<Symbol> symbols = {{'T', "_text", base}, {'T', "do_undefinstr", base + 0x10020}, {'T', "_etext", base + 0x20000}};
  KallsymsImage image;
  image.Build(symbols, Encoding::kRelative, base);
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok()) << k.error().message;
  ExpectLocation(*k, base + 0x10024, "do_undefinstr", 4, 0xffe0, 'T');
  EXPECT_FALSE(k->Lookup(base - 1).has_value());
}

TEST(KallsymsTest, DecodesARelativeTableOfManyBlocks) {
  // Without the per-CPU encoding the offsets are never negative: the last entry must not be read
  // as the per-CPU form.
  const uint64_t base = 0xffff800008000000;
  std::vector<Symbol> symbols = ManySymbols(1500);
  symbols.erase(symbols.begin(), symbols.begin() + 2);  // no per-CPU symbols on arm64
  for (Symbol& s : symbols) s.address = s.address - kImageBase + base;
  KallsymsImage image;
  image.Build(symbols, Encoding::kRelative, base);
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok()) << k.error().message;
  for (uint64_t address : ProbeAddresses(symbols)) ExpectSame(k->Lookup(address), Expected(symbols, address), address);
  EXPECT_EQ(k->stats().markers, Markers::kValidated) << k->stats().markers_rejected_because;
}

TEST(KallsymsTest, DecodesAbsoluteAddressesAndSortsThem) {
  std::vector<Symbol> symbols = {{'T', "zeta", 0xc0100000}, {'T', "alpha", 0xc0000000}, {'t', "beta", 0xc0100000}};
  KallsymsImage image;
  image.Build(symbols, Encoding::kAbsoluteAddresses, 0);
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok()) << k.error().message;
  ExpectLocation(*k, 0xc0000010, "alpha", 0x10, 0x100000, 'T');
  ExpectLocation(*k, 0xc0100000, "zeta", 0, 0, 'T');  // aliases keep the table's order
  EXPECT_EQ(k->AddressOf("beta"), 0xc0100000u);
  EXPECT_TRUE(k->stats().whole_address_table);  // out of order: read whole and sorted
}

TEST(KallsymsTest, AnOutOfOrderPageFoundMidSearchGivesTheSortedAnswer) {
  // Two symbols swapped in the middle of a large table: the binary search lands on their page,
  // finds it out of order, and answers from the sorted table instead.
  std::vector<Symbol> symbols = ManySymbols(3000);
  std::swap(symbols[1500].address, symbols[1501].address);
  KallsymsImage image;
  image.Build(symbols, Encoding::kAbsolutePercpu, kImageBase);
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok()) << k.error().message;
  std::vector<Symbol> sorted = symbols;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  const uint64_t address = sorted[1500].address + 2;
  ExpectSame(k->Lookup(address), Expected(sorted, address), address);
  EXPECT_TRUE(k->stats().whole_address_table);
  for (uint64_t probe : ProbeAddresses(sorted)) ExpectSame(k->Lookup(probe), Expected(sorted, probe), probe);
}

TEST(KallsymsTest, TablesAtTheEdgeOfMappedMemoryStillDecode) {
  KallsymsImage image;
  image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase, {.contiguous = false});
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->AddressOf("jiffies"), 0xffffffff82a05000u);
  ExpectLocation(*k, 0xffffffff8179df10 + 0x27c, "netdev_pick_tx", 0x27c, 0x294, 'T');
  ExpectLocation(*k, 0xffffffff83830000, "_end", 0, 0, 'B');
  EXPECT_EQ(k->stats().markers, Markers::kValidated) << k->stats().markers_rejected_because;
}

// The same answers whether kallsyms_markers is where 6.1 puts it, where 6.2 puts it, or missing,
// zeroed, or wrong: a guess that does not check out falls back to walking the names.
TEST(KallsymsTest, LookupsAreTheSameWithOrWithoutUsableMarkers) {
  const std::vector<Symbol> symbols = ManySymbols(3000);  // 12 blocks of 256 names
  struct Case {
    std::string what;
    Layout layout;
    std::function<void(KallsymsImage&)> corrupt;
    Markers want;
  };
  const std::vector<Case> cases = {
      {"as 6.2 and our 6.1.176 dumps have them: .long, then kallsyms_seqs_of_names", {}, nullptr,
       Markers::kValidated},
      {"as 6.4 has them: .long, right before the token table", {.seqs_of_names = false}, nullptr, Markers::kValidated},
      {"as 6.1.0 has them: pointer-sized, right before the token table",
       {.marker_width = 8, .seqs_of_names = false},
       nullptr,
       Markers::kValidated},
      {"absent: the token table follows the names", {.markers = false}, nullptr, Markers::kRejected},
      {"zeroed",
       {},
       [](KallsymsImage& image) {
         for (size_t k = 0; k < image.marker_values.size(); ++k) image.SetMarker(k, 0);
       },
       Markers::kRejected},
      {"each one byte off (still plausible as markers)",
       {},
       [](KallsymsImage& image) {
         for (size_t k = 1; k < image.marker_values.size(); ++k) image.SetMarker(k, image.marker_values[k] + 1);
       },
       Markers::kRejected},
      {"one wrong in the middle",
       {},
       [](KallsymsImage& image) { image.SetMarker(7, image.marker_values[7] - 2); },
       Markers::kRejected},
  };
  const std::vector<uint64_t> probes = ProbeAddresses(symbols);
  for (const Case& c : cases) {
    SCOPED_TRACE("markers " + c.what);
    KallsymsImage image;
    image.Build(symbols, Encoding::kAbsolutePercpu, kImageBase, c.layout);
    if (c.corrupt) c.corrupt(image);
    Result<Kallsyms> k = Load(image);
    ASSERT_TRUE(k.ok()) << k.error().message;
    for (uint64_t address : probes) {
      ExpectSame(k->Lookup(address), Expected(symbols, address), address);
      if (HasFatalFailure()) return;
    }
    const Kallsyms::Stats stats = k->stats();
    EXPECT_EQ(stats.markers, c.want) << stats.markers_rejected_because;
    if (c.want == Markers::kValidated) {
      EXPECT_EQ(stats.marker_blocks_verified, 12u);  // every block was used, each checked once
    } else {
      EXPECT_FALSE(stats.markers_rejected_because.empty());
    }
    EXPECT_EQ(k->AddressOf("cleanup"), symbols[50].address);
    EXPECT_EQ(k->AddressOf(kRustName + "2743"), symbols[2743].address);
  }
}

TEST(KallsymsTest, AGuessThatFailsLateKeepsTheBlocksAlreadyChecked) {
  // Blocks before the wrong marker were checked against their own ends and stay right; the wrong
  // one is caught when first used (decoding from it does not end at the next marker), and its
  // names then come from the walk.
  const std::vector<Symbol> symbols = ManySymbols(3000);
  KallsymsImage image;
  image.Build(symbols, Encoding::kAbsolutePercpu, kImageBase);
  image.SetMarker(9, image.marker_values[9] + 3);
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok()) << k.error().message;
  const uint64_t early = symbols[300].address + 4;  // block 1
  ExpectSame(k->Lookup(early), Expected(symbols, early), early);
  EXPECT_EQ(k->stats().markers, Markers::kValidated);
  const uint64_t late = symbols[2500].address + 4;  // block 9: decoded from a wrong start
  ExpectSame(k->Lookup(late), Expected(symbols, late), late);
  EXPECT_EQ(k->stats().markers, Markers::kRejected);
  EXPECT_NE(k->stats().markers_rejected_because.find("kallsyms_markers guessed at"), std::string::npos)
      << k->stats().markers_rejected_because;
  EXPECT_EQ(k->stats().marker_blocks_verified, 1u);
  // Block 1 is still known: naming in it again reads nothing.
  const uint64_t before = image.memory.bytes_read();
  ExpectSame(k->Lookup(early + 1), Expected(symbols, early + 1), early + 1);
  EXPECT_EQ(image.memory.bytes_read(), before);
  const uint64_t middle = symbols[1000].address + 4;  // block 3, never used: from the walk
  ExpectSame(k->Lookup(middle), Expected(symbols, middle), middle);
}

TEST(KallsymsTest, LoadReadsOnlyTheCountBaseAndTokens) {
  KallsymsImage image;
  image.Build(ManySymbols(20000), Encoding::kAbsolutePercpu, kImageBase);
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok());
  // The page of num_syms and the base, then the token index and table (one or two pages more).
  EXPECT_LE(image.memory.bytes_read(), 3 * kPage);
  EXPECT_LE(image.memory.reads(), 3u);
  EXPECT_EQ(k->stats().bytes_read, image.memory.bytes_read());
  EXPECT_EQ(k->stats().markers, Markers::kUnchecked);
}

TEST(KallsymsTest, ALookupReadsAFewPagesNotTheTables) {
  const std::vector<Symbol> symbols = ManySymbols(20000);  // 80 KB of offsets, ~300 KB of names
  KallsymsImage image;
  image.Build(symbols, Encoding::kAbsolutePercpu, kImageBase);
  ASSERT_GT(image.names_size, 200000u);
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok());
  for (size_t i : {7000u, 15001u, 19990u, 2u}) {
    SCOPED_TRACE(i);
    const uint64_t before = image.memory.bytes_read();
    const uint64_t address = symbols[i].address + 3;
    ExpectSame(k->Lookup(address), Expected(symbols, address), address);
    // A binary search over 20 pages of offsets (about 6 of them), the last page of offsets once,
    // the markers, and the one or two pages of names of one block.
    const uint64_t pages = (image.memory.bytes_read() - before + kPage - 1) / kPage;
    EXPECT_LE(pages, 11u);
    EXPECT_GE(pages, 1u);
    // Again, or elsewhere in the same function: all in cache.
    const uint64_t again = image.memory.bytes_read();
    ExpectSame(k->Lookup(address + 1), Expected(symbols, address + 1), address + 1);
    EXPECT_EQ(image.memory.bytes_read(), again);
  }
  EXPECT_LE(image.memory.largest_read(), kPage);  // no table was read whole
  // Load and four lookups: about 20 pages of the tables' 73.
  EXPECT_LT(image.memory.bytes_read(), (image.end - KallsymsImage::kStart) / 3);
  EXPECT_EQ(k->stats().markers, Markers::kValidated);
  EXPECT_EQ(k->stats().marker_blocks_verified, 4u);

  // AddressOf has no index to go by: it reads every name, as its comment says.
  const uint64_t before = image.memory.bytes_read();
  EXPECT_EQ(k->AddressOf(symbols[19999].name), symbols[19999].address);
  EXPECT_GE(image.memory.bytes_read() - before, image.names_size);
}

TEST(KallsymsTest, WithoutMarkersTheNamesAreWalkedOnce) {
  // The fallback walk notes where every block starts, so later lookups do not walk again.
  const std::vector<Symbol> symbols = ManySymbols(20000);
  KallsymsImage image;
  image.Build(symbols, Encoding::kAbsolutePercpu, kImageBase, {.markers = false});
  Result<Kallsyms> k = Load(image);
  ASSERT_TRUE(k.ok());
  const uint64_t last = symbols[19990].address + 1;
  ExpectSame(k->Lookup(last), Expected(symbols, last), last);
  EXPECT_EQ(k->stats().markers, Markers::kRejected);
  EXPECT_GE(image.memory.bytes_read(), image.names_size * 9 / 10);  // walked up to the end
  const uint64_t before = image.memory.bytes_read();
  for (size_t i : {10000u, 5000u, 300u}) {
    const uint64_t address = symbols[i].address + 1;
    ExpectSame(k->Lookup(address), Expected(symbols, address), address);
  }
  EXPECT_LE(image.memory.bytes_read() - before, 3 * 12 * kPage);
}

TEST(KallsymsTest, MissingSymbolsAreAllNamed) {
  KallsymsImage image;
  Result<Kallsyms> k = Kallsyms::Load(
      image.memory, Info("OSRELEASE=5.15.0\nSYMBOL(kallsyms_names)=ffffffff82174d18\n"
                         "SYMBOL(kallsyms_num_syms)=ffffffff82174d10\n"));
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message.find("SYMBOL(kallsyms_token_table), SYMBOL(kallsyms_token_index), "
                                   "SYMBOL(kallsyms_offsets), SYMBOL(kallsyms_relative_base)"),
            std::string::npos)
      << k.error().message;
}

TEST(KallsymsTest, ImplausibleSymbolCountsAreRefusedWithoutAllocating) {
  for (uint32_t count : {0u, 0xffffffffu, 1u << 23}) {
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase);
    image.memory.U32(image.num_syms, count);
    Result<Kallsyms> k = Load(image);
    ASSERT_FALSE(k.ok()) << count;
    EXPECT_NE(k.error().message.find("kallsyms_num_syms is " + std::to_string(count)), std::string::npos)
        << k.error().message;
    EXPECT_LE(image.memory.bytes_read(), kPage);  // the count's page, nothing sized by the count
  }
}

// Names are read when a lookup needs them, so their corruption is found then: the OrError forms
// name the part, the plain forms answer "no symbol", and nothing crashes.
TEST(KallsymsTest, BrokenTablesAreErrorsNamingThePart) {
  {  // more symbols claimed than the names table holds: the zeros after it are not names
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase);
    image.memory.U32(image.num_syms, 14);
    Result<Kallsyms> k = Load(image);
    ASSERT_TRUE(k.ok()) << k.error().message;
    Result<std::optional<uint64_t>> found = k->AddressOfOrError("jiffies_not_here");
    ASSERT_FALSE(found.ok());
    EXPECT_NE(found.error().message.find("kallsyms_names entry 12 is empty"), std::string::npos) << found.error().message;
    EXPECT_FALSE(k->AddressOf("jiffies_not_here").has_value());
  }
  {  // the names table ends in unmapped memory
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase, {.contiguous = false});
    image.memory.U32(image.num_syms, 13);
    Result<Kallsyms> k = Load(image);
    ASSERT_TRUE(k.ok()) << k.error().message;
    Result<std::optional<uint64_t>> found = k->AddressOfOrError("jiffies_not_here");
    ASSERT_FALSE(found.ok());
    EXPECT_NE(found.error().message.find("cannot read kallsyms_names entry 12"), std::string::npos)
        << found.error().message;
  }
  {  // offsets not in the dump: Load does not read them, a lookup does
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase, {.contiguous = false});
    image.memory.Unmap(image.addresses);
    Result<Kallsyms> k = Load(image);
    ASSERT_TRUE(k.ok()) << k.error().message;
    Result<std::optional<SymbolLocation>> found = k->LookupOrError(0xffffffff8179df10);
    ASSERT_FALSE(found.ok());
    EXPECT_NE(found.error().message.find("cannot read kallsyms_offsets"), std::string::npos) << found.error().message;
    EXPECT_FALSE(k->Lookup(0xffffffff8179df10).has_value());
    Result<std::optional<uint64_t>> address = k->AddressOfOrError("jiffies");  // the name is found, not its address
    ASSERT_FALSE(address.ok());
    EXPECT_NE(address.error().message.find("cannot read kallsyms_offsets"), std::string::npos) << address.error().message;
  }
  {  // a token table without terminators: every token at its start, 300 bytes without a NUL
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase);
    ASSERT_GT(image.token_table_size, 300u);
    for (size_t i = 0; i < 256; ++i) image.memory.U16(image.token_index + 2 * i, 0);
    for (size_t i = 0; i < 300; ++i) image.memory.U8(image.token_table + i, 'a');
    Result<Kallsyms> k = Load(image);
    ASSERT_FALSE(k.ok());
    EXPECT_NE(k.error().message.find("kallsyms_token_table entry 0 is not terminated"), std::string::npos)
        << k.error().message;
  }
  {  // a name that expands beyond KSYM_NAME_LEN: 200 tokens of "sys_"
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase);
    ASSERT_GT(image.names_size, 202u);
    const uint8_t length[] = {0xc8, 0x01};
    image.memory.Bytes(image.names, length, 2);
    for (size_t i = 0; i < 200; ++i) image.memory.U8(image.names + 2 + i, 2);
    Result<Kallsyms> k = Load(image);
    ASSERT_TRUE(k.ok()) << k.error().message;
    Result<std::optional<SymbolLocation>> found = k->LookupOrError(0x10);  // entry 0 names it
    ASSERT_FALSE(found.ok());
    EXPECT_NE(found.error().message.find("entry 0 expands beyond"), std::string::npos) << found.error().message;
    Result<std::optional<uint64_t>> address = k->AddressOfOrError("jiffies");
    ASSERT_FALSE(address.ok());
    EXPECT_NE(address.error().message.find("entry 0 expands beyond"), std::string::npos) << address.error().message;
  }
  {  // a page of names missing from the dump: an error, not a walk of the whole table
    KallsymsImage image;
    const std::vector<Symbol> symbols = ManySymbols(3000);
    image.Build(symbols, Encoding::kAbsolutePercpu, kImageBase, {.contiguous = false});
    image.memory.Unmap(image.names);
    Result<Kallsyms> k = Load(image);
    ASSERT_TRUE(k.ok()) << k.error().message;
    const uint64_t read_before = image.memory.bytes_read();
    Result<std::optional<SymbolLocation>> found = k->LookupOrError(symbols[2000].address);
    ASSERT_FALSE(found.ok());
    EXPECT_NE(found.error().message.find("cannot read kallsyms_names entry 1792"), std::string::npos)
        << found.error().message;
    EXPECT_EQ(k->stats().markers, Markers::kValidated);
    EXPECT_LE(image.memory.bytes_read() - read_before, 8 * kPage);
  }
}

TEST(KallsymsTest, MovedTablesKeepWorking) {
  KallsymsImage image;
  image.Build(X86Symbols(), Encoding::kAbsolutePercpu, kImageBase);
  Result<Kallsyms> loaded = Load(image);
  ASSERT_TRUE(loaded.ok());
  std::optional<Kallsyms> held;
  held = std::move(*loaded);  // as ReadVmcore keeps it
  ExpectLocation(*held, 0xffffffff8179df10, "netdev_pick_tx", 0, 0x294, 'T');
  Kallsyms moved = std::move(*held);
  ExpectLocation(moved, 0xffffffff8179e1a4, "dev_queue_xmit_nit", 0, 0x25c, 'T');
  EXPECT_EQ(moved.size(), 12u);
}

// --- The real dumps -------------------------------------------------------------------------------

// Counts the reads made through it and the distinct 4 KiB pages they touch: what a compressed dump
// inflates.
class CountingMemory final : public MemoryReader {
 public:
  explicit CountingMemory(MemoryReader& memory) : memory_(memory) {}
  Status ReadVirtual(uint64_t address, void* buffer, size_t size) override {
    ++reads_;
    bytes_ += size;
    for (uint64_t page = address / kPage; size > 0 && page <= (address + size - 1) / kPage; ++page) pages_.insert(page);
    return memory_.ReadVirtual(address, buffer, size);
  }
  size_t reads() const { return reads_; }
  uint64_t bytes() const { return bytes_; }
  size_t pages() const { return pages_.size(); }

 private:
  MemoryReader& memory_;
  size_t reads_ = 0;
  uint64_t bytes_ = 0;
  std::set<uint64_t> pages_;
};

// Reads through to a dump with some bytes replaced.
class PatchedMemory final : public MemoryReader {
 public:
  explicit PatchedMemory(MemoryReader& memory) : memory_(memory) {}
  void Patch(uint64_t address, uint32_t value) {
    for (int i = 0; i < 4; ++i) bytes_[address + i] = static_cast<uint8_t>(value >> (8 * i));
  }
  Status ReadVirtual(uint64_t address, void* buffer, size_t size) override {
    Status status = memory_.ReadVirtual(address, buffer, size);
    if (!status.ok()) return status;
    for (auto it = bytes_.lower_bound(address); it != bytes_.end() && it->first - address < size; ++it) {
      static_cast<uint8_t*>(buffer)[it->first - address] = it->second;
    }
    return status;
  }

 private:
  MemoryReader& memory_;
  std::map<uint64_t, uint8_t> bytes_;
};

// The whole table decoded up front, independently of Kallsyms and the way it was done before
// lookups went lazy: the reference the lazy lookups must agree with. 6.1 x86-64 only (offsets).
struct FullTable {
  std::vector<uint64_t> addresses;  // kernel order, which is address order
  std::vector<std::string> names;   // type letter + name
  uint64_t names_address = 0, token_table = 0;

  static std::optional<FullTable> Read(MemoryReader& memory, const VmcoreInfo& info) {
    FullTable t;
    const uint64_t offsets = info.Symbol("kallsyms_offsets").value_or(0);
    t.names_address = info.Symbol("kallsyms_names").value_or(0);
    t.token_table = info.Symbol("kallsyms_token_table").value_or(0);
    const uint64_t index = info.Symbol("kallsyms_token_index").value_or(0);
    Result<uint32_t> count = memory.ReadU32(info.Symbol("kallsyms_num_syms").value_or(0));
    Result<uint64_t> base = memory.ReadU64(info.Symbol("kallsyms_relative_base").value_or(0));
    if (!count.ok() || !base.ok() || *count == 0 || t.token_table <= t.names_address) return std::nullopt;
    std::vector<uint8_t> raw(size_t{*count} * 4);
    if (!memory.ReadVirtual(offsets, raw.data(), raw.size()).ok()) return std::nullopt;
    bool any_negative = false;
    for (uint32_t i = 0; i < *count; ++i) any_negative |= static_cast<int32_t>(LoadU32(raw.data() + 4 * i)) < 0;
    for (uint32_t i = 0; i < *count; ++i) {
      const int32_t offset = static_cast<int32_t>(LoadU32(raw.data() + 4 * i));
      if (!any_negative) {
        t.addresses.push_back(*base + static_cast<uint32_t>(offset));
      } else {
        t.addresses.push_back(offset >= 0 ? static_cast<uint64_t>(offset) : *base - 1 - static_cast<uint64_t>(int64_t{offset}));
      }
    }
    std::vector<std::string> tokens(256);
    for (size_t i = 0; i < 256; ++i) {
      Result<uint16_t> at = memory.ReadU16(index + 2 * i);
      if (!at.ok()) return std::nullopt;
      Result<std::string> token = memory.ReadCString(t.token_table + *at, 256);
      if (!token.ok()) return std::nullopt;
      tokens[i] = *token;
    }
    std::vector<uint8_t> bytes(t.token_table - t.names_address);
    if (!memory.ReadVirtual(t.names_address, bytes.data(), bytes.size()).ok()) return std::nullopt;
    size_t at = 0;
    for (uint32_t i = 0; i < *count; ++i) {
      if (at + 2 > bytes.size()) return std::nullopt;
      size_t length = bytes[at++];
      if (length & 0x80) length = (length & 0x7f) | (size_t{bytes[at++]} << 7);
      if (at + length > bytes.size()) return std::nullopt;
      std::string name;
      for (size_t b = 0; b < length; ++b) name += tokens[bytes[at + b]];
      at += length;
      t.names.push_back(name);
    }
    return t;
  }

  std::optional<SymbolLocation> Lookup(uint64_t address) const {
    auto after = std::upper_bound(addresses.begin(), addresses.end(), address);
    if (after == addresses.begin()) return std::nullopt;
    const uint64_t start = *(after - 1);
    if (after == addresses.end() && address != start) return std::nullopt;
    const size_t first = static_cast<size_t>(std::lower_bound(addresses.begin(), after, start) - addresses.begin());
    if (IsAbsoluteType(names[first][0])) return std::nullopt;
    return SymbolLocation{names[first].substr(1), start, address - start, after == addresses.end() ? 0 : *after - start,
                          names[first][0]};
  }

  std::optional<uint64_t> AddressOf(std::string_view name) const {
    for (size_t i = 0; i < names.size(); ++i) {
      if (std::string_view(names[i]).substr(1) == name) return addresses[i];
    }
    return std::nullopt;
  }
};

struct PrintedSymbol {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
  bool module = false;  // "name+0x1/0x2 [veth]"
};

// Every "name+0xoff/0xsize" in a log line (std::regex is avoided: GCC 12 warns inside it under ASan).
std::vector<PrintedSymbol> PrintedSymbols(std::string_view line) {
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
  auto hex = [](std::string_view s, size_t& at, uint64_t& value) {
    const size_t from = at;
    value = 0;
    while (at < s.size() && std::isxdigit(static_cast<unsigned char>(s[at])) && at - from < 16) {
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[at])));
      value = value * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
      ++at;
    }
    return at > from;
  };
  std::vector<PrintedSymbol> out;
  for (size_t plus = line.find("+0x"); plus != std::string_view::npos; plus = line.find("+0x", plus + 1)) {
    size_t begin = plus;
    while (begin > 0 && is_name(line[begin - 1])) --begin;
    if (begin == plus || std::isdigit(static_cast<unsigned char>(line[begin]))) continue;
    PrintedSymbol symbol;
    symbol.name = std::string(line.substr(begin, plus - begin));
    size_t at = plus + 3;
    if (!hex(line, at, symbol.offset) || line.substr(at, 3) != "/0x") continue;
    at += 3;
    if (!hex(line, at, symbol.size)) continue;
    symbol.module = line.substr(at, 2) == " [";
    out.push_back(symbol);
  }
  return out;
}

TEST(KallsymsRealDumpTest, PrintedSymbolsParser) {
  std::vector<PrintedSymbol> s = PrintedSymbols("RIP: 0010:netdev_pick_tx+0x27c/0x294 ? veth_xmit+0x1a/0x2b0 [veth] a+b");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "netdev_pick_tx");
  EXPECT_EQ(s[0].offset, 0x27cu);
  EXPECT_EQ(s[0].size, 0x294u);
  EXPECT_FALSE(s[0].module);
  EXPECT_EQ(s[1].name, "veth_xmit");
  EXPECT_TRUE(s[1].module);
}

// The kernel printed "name+0xoff/0xsize" (%pS, or %pB for return addresses) in its own log; the
// table we read must give the same name, offset and size for that address.
TEST(KallsymsRealDumpTest, AgreesWithTheKernelsOwnSymbolization) {
  KTRIAGE_REQUIRE_DUMPS(cache);
  size_t dumps = 0, checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cache)) {
    const std::filesystem::path dump = entry.path() / "vmcore.elf";
    if (!std::filesystem::exists(dump)) continue;
    SCOPED_TRACE(dump.string());
    Result<std::unique_ptr<DumpFile>> opened = DumpFile::Open({dump.string()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    Result<Kallsyms> k = Kallsyms::Load(**opened, (*opened)->vmcoreinfo());
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_GT(k->size(), 50000u);
    // Names to addresses from a full decode: AddressOf reads the whole names table each time.
    std::optional<FullTable> full = FullTable::Read(**opened, (*opened)->vmcoreinfo());
    ASSERT_TRUE(full.has_value());
    ++dumps;

    std::ifstream console(entry.path() / "console.log");
    std::string line;
    while (std::getline(console, line)) {
      for (const PrintedSymbol& printed : PrintedSymbols(line)) {
        if (printed.module) continue;  // a module's symbol: not in vmlinux's table
        const std::string& name = printed.name;
        const uint64_t offset = printed.offset;
        const uint64_t size = printed.size;
        std::optional<uint64_t> start = full->AddressOf(name);
        ASSERT_TRUE(start.has_value()) << name;
        // %pB prints a return address that ends a function as "caller+size/size": look up one before.
        const bool past_end = offset == size && offset > 0;
        std::optional<SymbolLocation> l = k->Lookup(*start + offset - (past_end ? 1 : 0));
        ASSERT_TRUE(l.has_value()) << name;
        EXPECT_EQ(l->name, name);
        EXPECT_EQ(l->offset + (past_end ? 1 : 0), offset) << name;
        EXPECT_EQ(l->size, size) << name;
        ++checked;
      }
    }
    // Every CPU was executing kernel text when the dump was taken.
    for (const CpuState& cpu : (*opened)->facts().cpus) {
      if (!cpu.pc) continue;
      std::optional<SymbolLocation> l = k->Lookup(*cpu.pc);
      ASSERT_TRUE(l.has_value()) << "cpu " << cpu.cpu;
      EXPECT_TRUE(l->type == 'T' || l->type == 't') << l->name;
    }
    EXPECT_EQ(k->stats().markers, Markers::kValidated) << k->stats().markers_rejected_because;
    // AddressOf itself, on a few of the names the kernel printed.
    for (const char* name : {"panic_cpu", "delay_tsc", "stop_this_cpu"}) {
      EXPECT_EQ(k->AddressOf(name), full->AddressOf(name)) << name;
    }
  }
  EXPECT_GT(dumps, 0u);
  EXPECT_GT(checked, 100u);
  RecordProperty("dumps", static_cast<int>(dumps));
  RecordProperty("frames_checked", static_cast<int>(checked));
}

// On the compressed dumps `analyze` reads: the markers are found where 6.1 puts them and check
// out, every CPU's PC (and a sample of the whole table) gets the full decode's answer, and a
// lookup reads a few pages. With the markers made wrong, the walk gives the same answers.
TEST(KallsymsRealDumpTest, LazyLookupsMatchAFullDecodeAndReadAFewPages) {
  KTRIAGE_REQUIRE_DUMPS(cache);
  size_t dumps = 0, most_pages = 0, most_load_pages = 0;
  uint64_t most_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cache)) {
    const std::filesystem::path dump = entry.path() / "vmcore.kdump-zlib";
    if (!std::filesystem::exists(dump)) continue;
    SCOPED_TRACE(dump.string());
    Result<std::unique_ptr<DumpFile>> opened = DumpFile::Open({dump.string()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    DumpFile& file = **opened;
    const VmcoreInfo& info = file.vmcoreinfo();
    std::optional<FullTable> full = FullTable::Read(file, info);
    ASSERT_TRUE(full.has_value());
    ++dumps;

    CountingMemory counted(file);
    Result<Kallsyms> k = Kallsyms::Load(counted, info);
    ASSERT_TRUE(k.ok()) << k.error().message;
    ASSERT_EQ(k->size(), full->addresses.size());
    most_load_pages = std::max(most_load_pages, counted.pages());
    EXPECT_LE(counted.pages(), 4u);  // the count and base, the token index and table
    size_t pcs = 0;
    for (const CpuState& cpu : file.facts().cpus) {
      if (!cpu.pc) continue;
      // Each lookup on a fresh table, as `analyze` makes them: nothing cached from the others.
      CountingMemory alone(file);
      Result<Kallsyms> fresh = Kallsyms::Load(alone, info);
      ASSERT_TRUE(fresh.ok());
      const size_t pages_before = alone.pages();
      const uint64_t bytes_before = alone.bytes();
      ExpectSame(fresh->Lookup(*cpu.pc), full->Lookup(*cpu.pc), *cpu.pc);
      most_pages = std::max(most_pages, alone.pages() - pages_before);
      most_bytes = std::max(most_bytes, alone.bytes() - bytes_before);
      EXPECT_LE(alone.pages() - pages_before, 14u) << "cpu " << cpu.cpu;
      EXPECT_EQ(fresh->stats().markers, Markers::kValidated) << fresh->stats().markers_rejected_because;
      EXPECT_EQ(fresh->stats().marker_blocks_verified, 1u);
      ExpectSame(k->Lookup(*cpu.pc), full->Lookup(*cpu.pc), *cpu.pc);
      ++pcs;
    }
    EXPECT_GT(pcs, 0u);
    // A sample of the table: every 61st symbol, at its start and inside it.
    for (size_t i = 0; i < full->addresses.size(); i += 61) {
      for (uint64_t address : {full->addresses[i], full->addresses[i] + 7}) {
        ExpectSame(k->Lookup(address), full->Lookup(address), address);
        if (HasFatalFailure()) return;
      }
    }
    EXPECT_EQ(k->stats().markers, Markers::kValidated) << k->stats().markers_rejected_because;
    EXPECT_GT(k->stats().marker_blocks_verified, 300u);  // 341 blocks in 6.1's 87182 names
    EXPECT_FALSE(k->stats().whole_address_table);

    // The markers this dump holds, independently: .long, before 3 bytes a symbol of
    // kallsyms_seqs_of_names, then the token table; 0 first.
    const uint64_t blocks = (full->addresses.size() + 255) / 256;
    const uint64_t markers = full->token_table - Align8(3 * full->addresses.size()) - Align8(blocks * 4);
    Result<uint32_t> first_marker = file.ReadU32(markers);
    ASSERT_TRUE(first_marker.ok());
    EXPECT_EQ(*first_marker, 0u);
    // Each marker one byte off: plausible, so tried, and caught by the first block decoded.
    PatchedMemory patched(file);
    for (uint64_t b = 1; b < blocks; ++b) {
      Result<uint32_t> marker = file.ReadU32(markers + 4 * b);
      ASSERT_TRUE(marker.ok());
      patched.Patch(markers + 4 * b, *marker + 1);
    }
    Result<Kallsyms> walked = Kallsyms::Load(patched, info);
    ASSERT_TRUE(walked.ok());
    for (size_t i = 0; i < full->addresses.size(); i += 997) {
      ExpectSame(walked->Lookup(full->addresses[i] + 1), full->Lookup(full->addresses[i] + 1), full->addresses[i] + 1);
    }
    EXPECT_EQ(walked->stats().markers, Markers::kRejected);
  }
  EXPECT_GT(dumps, 0u);
  RecordProperty("most_pages_per_lookup", static_cast<int>(most_pages));
  RecordProperty("most_bytes_per_lookup", static_cast<int>(most_bytes));
  RecordProperty("most_pages_per_load", static_cast<int>(most_load_pages));
  std::printf("kallsyms on the kdump-zlib dumps: Load <= %zu pages; a lookup <= %zu pages, %llu bytes\n",
              most_load_pages, most_pages, static_cast<unsigned long long>(most_bytes));
}

}  // namespace
}  // namespace ktriage
