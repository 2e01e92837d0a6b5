// Kallsyms on synthetic tables encoded as scripts/kallsyms encodes them (token compression, both
// name length forms, the three address encodings), on broken tables, and, when the real dumps are
// cached, against the symbol+offset/size the crashed kernel itself printed.
#include "analyzer/vmcore/kallsyms.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "analyzer/vmcore/dump_file.h"
#include "tests/vmcore/dump_cache.h"
#include "tests/vmcore/fake_memory.h"

namespace ktriage {
namespace {

using testing::FakeMemory;

struct Symbol {
  char type;
  std::string name;
  uint64_t address;
};

enum class Encoding { kAbsolutePercpu, kRelative, kAbsoluteAddresses };

// The kallsyms_* tables of a kernel image, in FakeMemory, at the addresses of a real 6.1 image.
struct KallsymsImage {
  static constexpr uint64_t kOffsets = 0xffffffff8211fad0;
  static constexpr uint64_t kRelativeBase = 0xffffffff82174d08;
  static constexpr uint64_t kNumSyms = 0xffffffff82174d10;
  static constexpr uint64_t kNames = 0xffffffff82174d18;
  static constexpr uint64_t kTokenTable = 0xffffffff822c88e8;
  static constexpr uint64_t kTokenIndex = 0xffffffff822d0000;  // our token table is longer than 6.1's
  static constexpr uint64_t kAddresses = 0xffffffff82300000;

  FakeMemory memory;
  std::vector<std::string> tokens = Tokens();
  size_t names_size = 0;
  size_t token_table_size = 0;

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

  // `slack`: mapped bytes after each table, as the next table follows it in a real image. With
  // none, large reads past a table's end fail and the reader must fall back to small ones.
  void Build(const std::vector<Symbol>& symbols, Encoding encoding, uint64_t base, size_t slack = 4096) {
    std::vector<uint8_t> names;
    for (const Symbol& s : symbols) {
      std::vector<uint8_t> encoded = Encode(std::string(1, s.type) + s.name);
      for (uint8_t b : Length(encoded.size())) names.push_back(b);
      names.insert(names.end(), encoded.begin(), encoded.end());
    }
    names_size = names.size();
    memory.Map(kNames, names.size() + slack);
    memory.Bytes(kNames, names.data(), names.size());

    std::string table;
    memory.Map(kTokenIndex, 512);
    for (size_t i = 0; i < 256; ++i) {
      memory.U16(kTokenIndex + 2 * i, static_cast<uint16_t>(table.size()));
      table += tokens[i];
      table += '\0';
    }
    token_table_size = table.size();
    memory.Map(kTokenTable, table.size() + std::min<size_t>(slack, 512));  // the index follows it
    memory.Text(kTokenTable, table);

    memory.Map(kNumSyms, 8);
    memory.U32(kNumSyms, static_cast<uint32_t>(symbols.size()));
    if (encoding == Encoding::kAbsoluteAddresses) {
      memory.Map(kAddresses, symbols.size() * 8);
      for (size_t i = 0; i < symbols.size(); ++i) memory.U64(kAddresses + 8 * i, symbols[i].address);
      return;
    }
    memory.Map(kRelativeBase, 8);
    memory.U64(kRelativeBase, base);
    memory.Map(kOffsets, symbols.size() * 4);
    for (size_t i = 0; i < symbols.size(); ++i) {
      const uint64_t a = symbols[i].address;
      int64_t offset;
      if (encoding == Encoding::kRelative) {
        offset = static_cast<int64_t>(a - base);
      } else if (a < base) {
        offset = static_cast<int64_t>(a);  // per-CPU symbols: absolute, non-negative
      } else {
        offset = -1 - static_cast<int64_t>(a - base);
      }
      memory.U32(kOffsets + 4 * i, static_cast<uint32_t>(offset));
    }
  }

  static std::string Note(Encoding encoding) {
    std::string note =
        "OSRELEASE=6.1.0-50-cloud-amd64\n"
        "SYMBOL(kallsyms_names)=ffffffff82174d18\n"
        "SYMBOL(kallsyms_num_syms)=ffffffff82174d10\n"
        "SYMBOL(kallsyms_token_table)=ffffffff822c88e8\n"
        "SYMBOL(kallsyms_token_index)=ffffffff822d0000\n";
    if (encoding == Encoding::kAbsoluteAddresses) return note + "SYMBOL(kallsyms_addresses)=ffffffff82300000\n";
    return note +
           "SYMBOL(kallsyms_offsets)=ffffffff8211fad0\n"
           "SYMBOL(kallsyms_relative_base)=ffffffff82174d08\n";
  }
};

VmcoreInfo Info(const std::string& text) {
  Result<VmcoreInfo> info = VmcoreInfo::Parse(text);
  EXPECT_TRUE(info.ok());
  return info.ok() ? *info : VmcoreInfo{};
}

const std::string kRustName = "_RNvMs_NtCs3uVhYCbZNfi_6kernel4syncINtB4_3ArcNtNtCs3uVhYCbZNfi_4core6option6OptionE" +
                              std::string(117, 'x');  // 200 characters: needs the two-byte length

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

void ExpectLocation(const Kallsyms& k, uint64_t address, const std::string& name, uint64_t offset, uint64_t size,
                    char type) {
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
  image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000);
  Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
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

TEST(KallsymsTest, DecodesARelativeTable) {
  // arm64 and others: offsets are unsigned distances from the base.
  const uint64_t base = 0xffff800008000000;
  std::vector<Symbol> symbols = {{'T', "_text", base}, {'T', "do_undefinstr", base + 0x10020}, {'T', "_etext", base + 0x20000}};
  KallsymsImage image;
  image.Build(symbols, Encoding::kRelative, base);
  Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kRelative)));
  ASSERT_TRUE(k.ok()) << k.error().message;
  ExpectLocation(*k, base + 0x10024, "do_undefinstr", 4, 0xffe0, 'T');
  EXPECT_FALSE(k->Lookup(base - 1).has_value());
}

TEST(KallsymsTest, DecodesAbsoluteAddressesAndSortsThem) {
  std::vector<Symbol> symbols = {{'T', "zeta", 0xc0100000}, {'T', "alpha", 0xc0000000}, {'t', "beta", 0xc0100000}};
  KallsymsImage image;
  image.Build(symbols, Encoding::kAbsoluteAddresses, 0);
  Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsoluteAddresses)));
  ASSERT_TRUE(k.ok()) << k.error().message;
  ExpectLocation(*k, 0xc0000010, "alpha", 0x10, 0x100000, 'T');
  ExpectLocation(*k, 0xc0100000, "zeta", 0, 0, 'T');  // aliases keep the table's order
  EXPECT_EQ(k->AddressOf("beta"), 0xc0100000u);
}

TEST(KallsymsTest, TablesAtTheEdgeOfMappedMemoryStillDecode) {
  KallsymsImage image;
  image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000, /*slack=*/0);
  Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->AddressOf("jiffies"), 0xffffffff82a05000u);
}

TEST(KallsymsTest, ReadsTablesInAFewLargeReads) {
  KallsymsImage image;
  image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000);
  Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
  ASSERT_TRUE(k.ok());
  EXPECT_LE(image.memory.reads(), 8u);  // num_syms, token index, token table, offsets, base, names (+1)
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
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000);
    image.memory.U32(KallsymsImage::kNumSyms, count);
    Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
    ASSERT_FALSE(k.ok()) << count;
    EXPECT_NE(k.error().message.find("kallsyms_num_syms is " + std::to_string(count)), std::string::npos)
        << k.error().message;
    EXPECT_LE(image.memory.bytes_read(), 64u);
  }
}

TEST(KallsymsTest, BrokenTablesAreErrorsNamingThePart) {
  {  // more symbols claimed than the names table holds: the zeros after it are not names
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000);
    image.memory.U32(KallsymsImage::kNumSyms, 14);
    image.memory.Unmap(KallsymsImage::kOffsets);
    image.memory.Map(KallsymsImage::kOffsets, 14 * 4);
    Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
    ASSERT_FALSE(k.ok());
    EXPECT_NE(k.error().message.find("kallsyms_names entry 12 is empty"), std::string::npos) << k.error().message;
  }
  {  // the names table ends in unmapped memory
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000, /*slack=*/0);
    image.memory.U32(KallsymsImage::kNumSyms, 13);
    image.memory.Unmap(KallsymsImage::kOffsets);
    image.memory.Map(KallsymsImage::kOffsets, 13 * 4);
    Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
    ASSERT_FALSE(k.ok());
    EXPECT_NE(k.error().message.find("cannot read kallsyms_names entry 12"), std::string::npos) << k.error().message;
  }
  {  // offsets not in the dump
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000);
    image.memory.Unmap(KallsymsImage::kOffsets);
    Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
    ASSERT_FALSE(k.ok());
    EXPECT_NE(k.error().message.find("cannot read kallsyms_offsets"), std::string::npos) << k.error().message;
  }
  {  // a token table without terminators
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000);
    for (size_t i = 0; i < image.token_table_size + 512; ++i) image.memory.U8(KallsymsImage::kTokenTable + i, 'a');
    Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
    ASSERT_FALSE(k.ok());
    EXPECT_NE(k.error().message.find("kallsyms_token_table entry"), std::string::npos) << k.error().message;
  }
  {  // a name that expands without end: the longest encoded length of the longest token
    KallsymsImage image;
    image.Build(X86Symbols(), Encoding::kAbsolutePercpu, 0xffffffff81000000, 0x4000);
    const uint8_t length[] = {0xff, 0x7f};
    image.memory.Bytes(KallsymsImage::kNames, length, 2);
    for (size_t i = 0; i < 0x3fff; ++i) image.memory.U8(KallsymsImage::kNames + 2 + i, 2);
    Result<Kallsyms> k = Kallsyms::Load(image.memory, Info(KallsymsImage::Note(Encoding::kAbsolutePercpu)));
    ASSERT_FALSE(k.ok());
    EXPECT_NE(k.error().message.find("entry 0 expands beyond"), std::string::npos) << k.error().message;
  }
}

// --- The real dumps -------------------------------------------------------------------------------

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
// table we decode must give the same name, offset and size for that address.
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
    ++dumps;

    std::ifstream console(entry.path() / "console.log");
    std::string line;
    while (std::getline(console, line)) {
      for (const PrintedSymbol& printed : PrintedSymbols(line)) {
        if (printed.module) continue;  // a module's symbol: not in vmlinux's table
        const std::string& name = printed.name;
        const uint64_t offset = printed.offset;
        const uint64_t size = printed.size;
        std::optional<uint64_t> start = k->AddressOf(name);
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
  }
  EXPECT_GT(dumps, 0u);
  EXPECT_GT(checked, 100u);
  RecordProperty("dumps", static_cast<int>(dumps));
  RecordProperty("frames_checked", static_cast<int>(checked));
}

}  // namespace
}  // namespace ktriage
