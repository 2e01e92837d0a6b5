// Arm64PageTables: synthetic page tables in the two descriptor formats (48-bit VA with four levels;
// 52-bit VA with LPA2's five levels and OA[51:50] in bits [9:8]), blocks and holes; then on the real
// arm64 dumps of every family and variant, the pages it finds hold what libkdumpfile's own
// translation reads (on the ELF files, where libkdumpfile translates these kernels).
#include "analyzer/vmcore/arm64_page_tables.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <libkdumpfile/kdumpfile.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <vector>

#include "analyzer/vmcore/dump_file.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage {
namespace {

// Physical memory as descriptors at addresses; absent ones read as an error.
struct FakePhysical {
  std::map<uint64_t, uint64_t> words;
  Arm64PageTables::ReadPhysical Reader() {
    return [this](uint64_t pa) -> Result<uint64_t> {
      auto it = words.find(pa);
      if (it == words.end()) return Error{"absent"};
      return it->second;
    };
  }
};

VmcoreInfo Info(const std::string& text) {
  Result<VmcoreInfo> info = VmcoreInfo::Parse("OSRELEASE=6.12.115+deb12-cloud-arm64\n" + text);
  EXPECT_TRUE(info.ok());
  return *info;
}

constexpr uint64_t kRoot = 0x41000000;  // swapper_pg_dir's physical address in these tables

TEST(Arm64PageTables, FourLevels48BitWithABlockAndAHole) {
  // swapper_pg_dir at 0xffff800081000000, kimage_voffset so that it lies at kRoot.
  const uint64_t swapper = 0xffff800081000000;
  VmcoreInfo info = Info("PAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffff800081000000\nNUMBER(TCR_EL1_T1SZ)=0x10\n"
                         "NUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0x" + [&] {
                           char b[32];
                           std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(swapper - kRoot));
                           return std::string(b);
                         }() + "\n");
  Result<Arm64PageTables> t = Arm64PageTables::FromVmcoreInfo(info);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->levels(), 4u);
  EXPECT_FALSE(t->lpa2());
  EXPECT_EQ(t->Describe(), "48-bit VA, 4 levels of 4 KiB pages");
  const uint64_t va = 0xffff800012345678;
  // Indexes: L0 bits 47..39, L1 38..30, L2 29..21, L3 20..12.
  auto index = [&](unsigned shift) { return (va >> shift) & 0x1ff; };
  FakePhysical mem;
  mem.words[kRoot + 8 * index(39)] = 0x42000000 | 3;
  mem.words[0x42000000 + 8 * index(30)] = 0x43000000 | 3;
  mem.words[0x43000000 + 8 * index(21)] = 0x44000000 | 3;
  mem.words[0x44000000 + 8 * index(12)] = 0x0000800055555000 | (uint64_t{3} << 8) | 3;  // SH bits: not address
  Result<uint64_t> pa = t->Translate(va, mem.Reader());
  ASSERT_TRUE(pa.ok()) << pa.error().message;
  EXPECT_EQ(*pa, 0x0000800055555678u);
  // A 2 MiB block at level 2 (bits [1:0] = 01).
  const uint64_t block_va = va + (uint64_t{1} << 21);
  mem.words[0x43000000 + 8 * ((block_va >> 21) & 0x1ff)] = 0x60000000 | 1;
  pa = t->Translate(block_va, mem.Reader());
  ASSERT_TRUE(pa.ok()) << pa.error().message;
  EXPECT_EQ(*pa, 0x60000000u | (block_va & 0x1fffff));
  // No entry at level 1 for another address: "not mapped", naming the level.
  mem.words[0x42000000 + 8 * (index(30) + 1)] = 0;
  Result<uint64_t> hole = t->Translate(va + (uint64_t{1} << 30), mem.Reader());
  ASSERT_FALSE(hole.ok());
  EXPECT_NE(hole.error().message.find("not mapped (arm64 page walk: level 1 of 4 has no entry)"), std::string::npos)
      << hole.error().message;
  // A descriptor that cannot be read: named with its physical address.
  Result<uint64_t> unread = t->Translate(va ^ (uint64_t{1} << 39), mem.Reader());
  ASSERT_FALSE(unread.ok());
  EXPECT_NE(unread.error().message.find("page table entry at physical"), std::string::npos) << unread.error().message;
  // Outside TTBR1's range.
  EXPECT_FALSE(t->Translate(0x0000aaaabbbb0000, mem.Reader()).ok());
}

TEST(Arm64PageTables, FiveLevelsLpa2KeepsOutputBits51And50InBits9And8) {
  const uint64_t swapper = 0xffff800081000000;
  char voffset[32];
  std::snprintf(voffset, sizeof voffset, "%llx", static_cast<unsigned long long>(swapper - kRoot));
  VmcoreInfo info = Info("PAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffff800081000000\nNUMBER(TCR_EL1_T1SZ)=0xc\n"
                         "NUMBER(VA_BITS)=52\nNUMBER(MAX_PHYSMEM_BITS)=52\nNUMBER(kimage_voffset)=0x" + std::string(voffset) + "\n");
  Result<Arm64PageTables> t = Arm64PageTables::FromVmcoreInfo(info);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->levels(), 5u);
  EXPECT_TRUE(t->lpa2());
  const uint64_t va = 0xfff0000012345678;  // the 52-bit linear map
  auto index = [&](unsigned shift, uint64_t mask) { return (va >> shift) & mask; };
  FakePhysical mem;
  mem.words[kRoot + 8 * index(48, 0xf)] = 0x42000000 | 3;  // level -1: four bits
  mem.words[0x42000000 + 8 * index(39, 0x1ff)] = 0x43000000 | 3;
  mem.words[0x43000000 + 8 * index(30, 0x1ff)] = 0x44000000 | 3;
  mem.words[0x44000000 + 8 * index(21, 0x1ff)] = 0x45000000 | 3;
  // OA = 0x000c_1234_5670_0000-ish: bits 51..50 = 0b11 in descriptor bits 9..8.
  mem.words[0x45000000 + 8 * index(12, 0x1ff)] = 0x0001234567000000 | (uint64_t{3} << 8) | 3;
  Result<uint64_t> pa = t->Translate(va, mem.Reader());
  ASSERT_TRUE(pa.ok()) << pa.error().message;
  EXPECT_EQ(*pa, 0x000d234567000678u);
}

TEST(Arm64PageTables, VmcoreInfoWithoutWhatTheWalkNeedsIsAnError) {
  EXPECT_FALSE(Arm64PageTables::FromVmcoreInfo(Info("PAGESIZE=4096\nNUMBER(TCR_EL1_T1SZ)=0x10\n")).ok());
  EXPECT_FALSE(Arm64PageTables::FromVmcoreInfo(Info("PAGESIZE=8192\nSYMBOL(swapper_pg_dir)=ffff800081000000\n"
                                                    "NUMBER(TCR_EL1_T1SZ)=0x10\nNUMBER(kimage_voffset)=0x1\n")).ok());
  EXPECT_FALSE(Arm64PageTables::FromVmcoreInfo(Info("PAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffff800081000000\n"
                                                    "NUMBER(TCR_EL1_T1SZ)=0x2\nNUMBER(kimage_voffset)=0x1\n")).ok());
}

// A page of kernel memory as libkdumpfile's own translation reads it.
struct LibkdumpfileReader {
  explicit LibkdumpfileReader(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), ctx(kdump_new()) {
    ok = fd >= 0 && ctx != nullptr && kdump_set_number_attr(ctx, KDUMP_ATTR_FILE_FD, fd) == KDUMP_OK &&
         kdump_set_string_attr(ctx, KDUMP_ATTR_OSTYPE, "linux") == KDUMP_OK;
  }
  ~LibkdumpfileReader() {
    if (ctx != nullptr) kdump_free(ctx);
    if (fd >= 0) ::close(fd);
  }
  bool Read(uint64_t va, std::vector<unsigned char>& out) {
    size_t n = out.size();
    return kdump_read(ctx, KDUMP_KVADDR, va, out.data(), &n) == KDUMP_OK && n == out.size();
  }
  int fd;
  kdump_ctx_t* ctx;
  bool ok = false;
};

// Every arm64 family and variant: pages of the image, the linear map and each CPU's (vmalloc'd)
// stack read alike through our walk and through libkdumpfile's translation.
TEST(Arm64PageTables, RealDumpsReadWhatLibkdumpfileReads) {
  size_t dumps = 0, pages = 0;
  for (const testing::KernelFamily& family : testing::KernelFamilies()) {
    if (family.arch != "arm64") continue;
    auto dir = testing::DumpCacheDir(family);
    if (!dir) continue;
    for (const std::string& variant : family.variants) {
      const std::string path = (*dir / ("sysrq-" + variant) / "vmcore.elf").string();
      SCOPED_TRACE(family.name + " " + variant);
      auto dump = DumpFile::Open({path});
      ASSERT_TRUE(dump.ok()) << dump.error().message;
      LibkdumpfileReader theirs(path);
      ASSERT_TRUE(theirs.ok);
      const VmcoreInfo& info = (*dump)->vmcoreinfo();
      std::vector<uint64_t> addresses;
      for (const char* s : {"swapper_pg_dir", "prb", "init_uts_ns", "mem_section"}) {
        if (auto a = info.Symbol(s)) addresses.push_back(*a);
      }
      for (const CpuState& cpu : (*dump)->facts().cpus) {
        for (const char* r : {"sp", "pc"}) {
          if (auto it = cpu.registers.find(r); it != cpu.registers.end()) addresses.push_back(it->second);
        }
      }
      ASSERT_GE(addresses.size(), 6u);
      for (uint64_t a : addresses) {
        const uint64_t page = a & ~uint64_t{4095};
        std::vector<unsigned char> ours(4096), libs(4096);
        ASSERT_TRUE((*dump)->ReadVirtual(page, ours.data(), ours.size()).ok()) << std::hex << page;
        ASSERT_TRUE(theirs.Read(page, libs)) << std::hex << page << ": " << kdump_get_err(theirs.ctx);
        EXPECT_EQ(ours, libs) << std::hex << page;
        ++pages;
      }
      ++dumps;
    }
  }
  if (dumps == 0) GTEST_SKIP() << "no arm64 dumps: run `make dumps`";
  std::printf("arm64 page walk: %zu pages of %zu dumps read as libkdumpfile reads them\n", pages, dumps);
}

}  // namespace
}  // namespace ktriage
