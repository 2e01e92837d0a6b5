// DumpFile on the real QEMU dumps of corpora/dumps/make-dumps.sh (ELF, kdump-zlib, its flattened
// form; KASLR on and off) and on broken copies of them: truncated at 10/50/90%, cut inside a
// flattened record, without VMCOREINFO; plus files that are no dump at all.
#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/vmcore_analysis.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "analyzer/vmcore/dump_arch.h"
#include "base/scoped_fd.h"
#include "tests/vmcore/dump_cache.h"

// libkdumpfile 0.5.1 leaks about 100 bytes each time its address translation fails to set up
// (a truncated dump whose kernel page tables are in the missing part): not ours to fix.
extern "C" const char* __lsan_default_suppressions() { return "leak:libkdumpfile.so\n"; }

namespace ktriage {
namespace {

namespace fs = std::filesystem;

constexpr char kRelease[] = "6.1.0-50-cloud-amd64";
// struct new_utsname: six 65-byte fields; release is the third.
constexpr uint64_t kUtsLength = 65;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A scratch directory per test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "-" + info->name();
    for (char& c : name)
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    path_ = fs::temp_directory_path() / ("ktriage-dump-test-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Copies the first `length` bytes of `from`, keeping holes (the ELF dumps are 256 MiB sparse).
void CopyPrefix(const fs::path& from, const fs::path& to, uint64_t length) {
  ScopedFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  ScopedFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(in.valid() && out.valid()) << from << " -> " << to;
  off_t pos = 0;
  const off_t end = static_cast<off_t>(length);
  while (pos < end) {
    off_t data = ::lseek(in.get(), pos, SEEK_DATA);
    if (data < 0 || data >= end) break;
    off_t hole = ::lseek(in.get(), data, SEEK_HOLE);
    if (hole < 0 || hole > end) hole = end;
    off_t src = data, dst = data;
    while (src < hole) {
      ssize_t n = ::copy_file_range(in.get(), &src, out.get(), &dst, static_cast<size_t>(hole - src), 0);
      ASSERT_GT(n, 0) << "copy_file_range: " << std::strerror(errno);
    }
    pos = hole;
  }
  ASSERT_EQ(::ftruncate(out.get(), end), 0);
}

// Replaces the first occurrence of `what` within the first `limit` bytes of `path`.
void Patch(const fs::path& path, const std::string& what, const std::string& with, uint64_t limit) {
  ASSERT_EQ(what.size(), with.size());
  ScopedFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  std::string head(static_cast<size_t>(std::min<uint64_t>(limit, fs::file_size(path))), '\0');
  ASSERT_EQ(::pread(fd.get(), head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  size_t at = head.find(what);
  ASSERT_NE(at, std::string::npos) << what << " not in the first " << limit << " bytes of " << path;
  ASSERT_EQ(::pwrite(fd.get(), with.data(), with.size(), static_cast<off_t>(at)), static_cast<ssize_t>(with.size()));
}

uint64_t UtsReleaseAddress(const VmcoreInfo& info) {
  return *info.Symbol("init_uts_ns") + info.Offset("uts_namespace.name").value_or(0) + 2 * kUtsLength;
}

// Addresses every intact dump can read, spread over the kernel image and its data: the compare
// set for "flattened == -R" and for truncated copies.
std::vector<std::pair<uint64_t, size_t>> ProbeRanges(const VmcoreInfo& info) {
  std::vector<std::pair<uint64_t, size_t>> ranges;
  ranges.emplace_back(UtsReleaseAddress(info), kUtsLength);
  for (const char* symbol : {"prb", "printk_rb_static", "kallsyms_names", "kallsyms_token_table", "init_top_pgt",
                             "node_data", "mem_section"})
    if (auto address = info.Symbol(symbol)) ranges.emplace_back(*address, 4096);
  // The kernel text and rodata, 1 MiB at a time.
  const uint64_t stext = *info.Symbol("_stext");
  for (uint64_t mib = 0; mib < 24; ++mib) ranges.emplace_back(stext + (mib << 20), size_t{1} << 20);
  return ranges;
}

struct DumpCase {
  std::string variant;  // "sysrq-kaslr"
  std::string file;     // "vmcore.elf"
};

std::string CaseName(const ::testing::TestParamInfo<DumpCase>& info) {
  std::string name = info.param.variant + "_" + info.param.file;
  for (char& c : name)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class RealDumpFile : public ::testing::TestWithParam<DumpCase> {};

TEST_P(RealDumpFile, OpensWithFactsVmcoreinfoAndReadableMemory) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  const fs::path path = dumps / GetParam().variant / GetParam().file;
  EXPECT_TRUE(OpenIfDump(path.string()));
  auto dump = DumpFile::Open({path.string()});
  ASSERT_TRUE(dump) << dump.error().message;
  const DumpFacts& facts = (*dump)->facts();

  const bool elf = GetParam().file == "vmcore.elf";
  const bool flat = GetParam().file == "vmcore.kdump-zlib.flat";
  EXPECT_EQ(facts.format, elf ? "elf" : flat ? "flattened diskdump" : "diskdump");
  EXPECT_EQ(facts.arch, "x86_64");
  // QEMU's kdump header has utsname.machine but not the rest of utsname, so libkdumpfile sets no
  // arch.name; the ELF header's e_machine does.
  EXPECT_EQ(facts.arch_derived, !elf);
  if (!elf) {
    ASSERT_FALSE(facts.warnings.empty());
    EXPECT_EQ(facts.warnings.back(),
              "arch.name missing from the diskdump header; derived x86_64 from the diskdump header's "
              "utsname.machine \"x86_64\"");
  } else {
    EXPECT_TRUE(facts.warnings.empty()) << facts.warnings.front();
  }
  EXPECT_EQ(facts.page_size, 4096u);
  ASSERT_EQ(facts.cpus.size(), 2u);
  for (const CpuState& cpu : facts.cpus) {
    SCOPED_TRACE("cpu " + std::to_string(cpu.cpu));
    ASSERT_TRUE(cpu.pc.has_value());
    EXPECT_EQ(*cpu.pc, cpu.registers.at("rip"));
    EXPECT_GE(*cpu.pc, 0xffffffff80000000u) << "not a kernel text address";
    EXPECT_GE(cpu.registers.at("rsp"), 0xffff800000000000u);
    EXPECT_EQ(cpu.registers.at("cs"), 0x10u);  // __KERNEL_CS
    // QEMU writes the vCPU number + 1 as pr_pid, beside its own "QEMU" note: not a pid, dropped.
    EXPECT_FALSE(cpu.pid.has_value());
  }

  const VmcoreInfo& info = (*dump)->vmcoreinfo();
  EXPECT_EQ(info.osrelease, kRelease);
  EXPECT_EQ(info.build_id, Trimmed(Slurp(dumps / "kernel/build-id.txt")));
  // The nokaslr kernels say KERNELOFFSET=0.
  ASSERT_TRUE(info.kernel_offset.has_value());
  EXPECT_EQ(*info.kernel_offset != 0, GetParam().variant.ends_with("-kaslr"));

  char uts[kUtsLength + 1] = {};
  ASSERT_TRUE((*dump)->ReadVirtual(*info.Symbol("init_uts_ns") + info.Offset("uts_namespace.name").value_or(0), uts, kUtsLength));
  EXPECT_STREQ(uts, "Linux");
  ASSERT_TRUE((*dump)->ReadVirtual(UtsReleaseAddress(info), uts, kUtsLength));
  EXPECT_STREQ(uts, kRelease);

  // Every probe range is readable in an intact dump (the kernel image is never filtered).
  std::vector<char> buffer(1 << 20);
  for (const auto& [address, size] : ProbeRanges(info)) {
    Status read = (*dump)->ReadVirtual(address, buffer.data(), size);
    EXPECT_TRUE(read) << read.error().message;
  }

  // Unmapped addresses fail with the address in the message: the top 2 MiB (no PMD there) and a
  // non-canonical one. (Not a user address: on QEMU's ELF dumps libkdumpfile maps low virtual
  // addresses to physical memory through the PT_LOADs' p_vaddr.)
  char byte;
  for (uint64_t address : {uint64_t{0xffffffffffe00010}, uint64_t{0x800000000000}}) {
    Status unmapped = (*dump)->ReadVirtual(address, &byte, 1);
    ASSERT_FALSE(unmapped);
    char expected[64];
    std::snprintf(expected, sizeof expected, "address 0x%llx not mapped", static_cast<unsigned long long>(address));
    EXPECT_TRUE(unmapped.error().message.starts_with(expected)) << unmapped.error().message;
  }
  EXPECT_TRUE((*dump)->ReadVirtual(0xffffffffffe00010, &byte, 0)) << "an empty read always succeeds";
  // A read that runs off the end of the mapped kernel image fails naming the first missing address.
  const uint64_t stext = *info.Symbol("_stext");
  auto readable = [&](uint64_t address) { return static_cast<bool>((*dump)->ReadVirtual(address, &byte, 1)); };
  uint64_t end = stext;
  while (readable(end + (2 << 20)) && end < stext + (256 << 20)) end += 2 << 20;
  while (readable(end + 4096)) end += 4096;
  const uint64_t boundary = end + 4096;
  std::vector<char> two_pages(8192);
  Status partial = (*dump)->ReadVirtual(boundary - 4096, two_pages.data(), two_pages.size());
  ASSERT_FALSE(partial);
  char expected[128];
  std::snprintf(expected, sizeof expected, "address 0x%llx not mapped", static_cast<unsigned long long>(boundary));
  EXPECT_TRUE(partial.error().message.starts_with(expected)) << partial.error().message;
  EXPECT_NE(partial.error().message.find("(read 4096 of 8192 bytes at "), std::string::npos) << partial.error().message;
}

INSTANTIATE_TEST_SUITE_P(Sysrq, RealDumpFile,
                         ::testing::Values(DumpCase{"sysrq-nokaslr", "vmcore.elf"}, DumpCase{"sysrq-kaslr", "vmcore.elf"},
                                           DumpCase{"sysrq-nokaslr", "vmcore.kdump-zlib"},
                                           DumpCase{"sysrq-kaslr", "vmcore.kdump-zlib"},
                                           DumpCase{"sysrq-nokaslr", "vmcore.kdump-zlib.flat"},
                                           DumpCase{"sysrq-kaslr", "vmcore.kdump-zlib.flat"}),
                         CaseName);

// The three files of one crash hold the same memory: the flattened file and its -R conversion
// byte for byte, and the ELF dump the same kernel image.
TEST(RealDumpFormats, SameCrashReadsTheSameBytesInEveryFormat) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  for (const char* variant : {"sysrq-nokaslr", "sysrq-kaslr", "veth-softlockup-kaslr"}) {
    SCOPED_TRACE(variant);
    std::map<std::string, std::unique_ptr<DumpFile>> dumps_by_file;
    for (const char* file : {"vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-zlib.flat"}) {
      auto dump = DumpFile::Open({(dumps / variant / file).string()});
      ASSERT_TRUE(dump) << dump.error().message;
      dumps_by_file[file] = std::move(*dump);
    }
    const VmcoreInfo& info = dumps_by_file["vmcore.elf"]->vmcoreinfo();
    for (const auto& [file, dump] : dumps_by_file) EXPECT_EQ(dump->vmcoreinfo().text, info.text) << file;
    std::vector<char> flat(1 << 20), reassembled(1 << 20), elf(1 << 20);
    size_t compared = 0;
    for (const auto& [address, size] : ProbeRanges(info)) {
      ASSERT_TRUE(dumps_by_file["vmcore.kdump-zlib.flat"]->ReadVirtual(address, flat.data(), size));
      ASSERT_TRUE(dumps_by_file["vmcore.kdump-zlib"]->ReadVirtual(address, reassembled.data(), size));
      ASSERT_TRUE(dumps_by_file["vmcore.elf"]->ReadVirtual(address, elf.data(), size));
      EXPECT_EQ(std::memcmp(flat.data(), reassembled.data(), size), 0) << std::hex << address;
      EXPECT_EQ(std::memcmp(elf.data(), reassembled.data(), size), 0) << std::hex << address;
      compared += size;
    }
    EXPECT_GT(compared, size_t{24} << 20);
    for (const auto& [file, dump] : dumps_by_file) {
      ASSERT_EQ(dump->facts().cpus.size(), 2u) << file;
      for (int cpu = 0; cpu < 2; ++cpu)
        EXPECT_EQ(dump->facts().cpus[cpu].registers, dumps_by_file["vmcore.elf"]->facts().cpus[cpu].registers) << file;
    }
  }
}

// Every scenario and variant opens in every format and names its release.
TEST(RealDumpFormats, EveryScenarioOpens) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  int opened = 0, variants = 0;
  for (const auto& entry : fs::directory_iterator(dumps)) {
    if (!fs::exists(entry.path() / "DONE") || !fs::exists(entry.path() / "vmcore.elf")) continue;
    ++variants;
    for (const char* file : {"vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-zlib.flat"}) {
      const fs::path path = entry.path() / file;
      auto dump = DumpFile::Open({path.string()});
      ASSERT_TRUE(dump) << dump.error().message;
      char release[kUtsLength + 1] = {};
      Status read = (*dump)->ReadVirtual(UtsReleaseAddress((*dump)->vmcoreinfo()), release, kUtsLength);
      ASSERT_TRUE(read) << path << ": " << read.error().message;
      EXPECT_STREQ(release, kRelease) << path;
      EXPECT_EQ((*dump)->facts().cpus.size(), 2u) << path;
      ++opened;
    }
  }
  EXPECT_GE(variants, 16);  // 8 scenarios x KASLR on/off
  EXPECT_EQ(opened, variants * 3);
}

// Truncated copies: Open works or fails naming the file; every read either returns exactly the
// intact dump's bytes or fails with a message naming the address; never a crash or a hang.
class TruncatedDump : public ::testing::TestWithParam<std::string> {};

TEST_P(TruncatedDump, ReadsWhatIsThereAndNamesWhatIsNot) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  ScratchDir scratch;
  const fs::path original = dumps / "sysrq-kaslr" / GetParam();
  auto intact = DumpFile::Open({original.string()});
  ASSERT_TRUE(intact) << intact.error().message;
  const auto ranges = ProbeRanges((*intact)->vmcoreinfo());
  const uint64_t size = fs::file_size(original);
  std::vector<char> want(1 << 20), got(1 << 20);
  for (int percent : {10, 50, 90}) {
    SCOPED_TRACE(std::to_string(percent) + "%");
    const fs::path cut = scratch.path() / (GetParam() + "." + std::to_string(percent));
    CopyPrefix(original, cut, size * percent / 100);
    EXPECT_TRUE(OpenIfDump(cut.string()));
    DumpOpenOptions options;
    options.temp_dir = scratch.path().string();
    auto dump = DumpFile::Open({cut.string()}, options);
    if (!dump) {
      EXPECT_TRUE(dump.error().message.starts_with(cut.string() + ": ")) << dump.error().message;
      continue;
    }
    const auto& warnings = (*dump)->facts().warnings;
    const bool warned_truncated = std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
      return w.find("truncated") != std::string::npos;
    });
    if (GetParam() != "vmcore.kdump-zlib") {
      EXPECT_TRUE(warned_truncated) << "no truncation warning";
    }
    int failed = 0;
    for (const auto& [address, length] : ranges) {
      Status want_read = (*intact)->ReadVirtual(address, want.data(), length);
      ASSERT_TRUE(want_read);
      Status read = (*dump)->ReadVirtual(address, got.data(), length);
      if (read) {
        EXPECT_EQ(std::memcmp(want.data(), got.data(), length), 0) << "wrong bytes at " << std::hex << address;
      } else {
        ++failed;
        EXPECT_TRUE(read.error().message.starts_with("address 0x")) << read.error().message;
      }
    }
    // At 10% most of the kernel image is gone whatever the format.
    if (percent == 10) {
      EXPECT_GT(failed, 0);
    }
    if (percent == 10 && failed) {
      // One of the messages, for the reader of the test log.
      for (const auto& [address, length] : ranges) {
        Status read = (*dump)->ReadVirtual(address, got.data(), length);
        if (!read) {
          std::cout << GetParam() << " cut at 10%: " << read.error().message << "\n";
          break;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, TruncatedDump,
                         ::testing::Values("vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-zlib.flat"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(BadDump, FlattenedCutInTheMiddleOfARecord) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  ScratchDir scratch;
  const fs::path original = dumps / "sysrq-nokaslr" / "vmcore.kdump-zlib.flat";
  // Walk the record headers to the middle of the file and cut 100 bytes into a record's data.
  ScopedFd fd(::open(original.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  uint64_t at = 4096, record = 0, cut_at = 0;
  const uint64_t half = fs::file_size(original) / 2;
  for (;;) {
    unsigned char head[16];
    ASSERT_EQ(::pread(fd.get(), head, 16, static_cast<off_t>(at)), 16);
    uint64_t size = 0;
    for (int i = 8; i < 16; ++i) size = size << 8 | head[i];
    ++record;
    if (at > half && size > 200) {
      cut_at = at + 16 + 100;
      break;
    }
    at += 16 + size;
  }
  const fs::path cut = scratch.path() / "cut.flat";
  CopyPrefix(original, cut, cut_at);
  DumpOpenOptions options;
  options.temp_dir = scratch.path().string();
  auto dump = DumpFile::Open({cut.string()}, options);
  ASSERT_TRUE(dump) << dump.error().message;
  const auto& warnings = (*dump)->facts().warnings;
  ASSERT_FALSE(warnings.empty());
  EXPECT_TRUE(warnings.front().starts_with(cut.string() + ": truncated flattened dump: cut in the data of record #" +
                                           std::to_string(record) + " at byte " + std::to_string(at) + ": 100 of its "))
      << warnings.front();
  char release[kUtsLength + 1] = {};
  Status read = (*dump)->ReadVirtual(UtsReleaseAddress((*dump)->vmcoreinfo()), release, kUtsLength);
  if (read) {
    EXPECT_STREQ(release, kRelease);
  }
  // Nothing was left in the temp dir besides the cut copy.
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1);
}

// The same dumps with QEMU's own notes renamed read like a kexec dump, whose pr_pid is the pid of
// the task each CPU ran: kept. Here they hold QEMU's vCPU + 1, which is what a kept pid shows.
TEST(RealDumpFormats, PrStatusPidsAreKeptWithoutQemuNotes) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  ScratchDir scratch;
  for (const char* file : {"vmcore.elf", "vmcore.kdump-zlib"}) {
    SCOPED_TRACE(file);
    const fs::path from = dumps / "sysrq-nokaslr" / file;
    const fs::path copy = scratch.path() / file;
    CopyPrefix(from, copy, fs::file_size(from));
    // Two CPUs, two notes: each Patch renames the first "QEMU" note name it finds.
    Patch(copy, std::string("QEMU\0", 5), std::string("QEMX\0", 5), 1 << 20);
    Patch(copy, std::string("QEMU\0", 5), std::string("QEMX\0", 5), 1 << 20);
    auto dump = DumpFile::Open({copy.string()});
    ASSERT_TRUE(dump) << dump.error().message;
    const auto& cpus = (*dump)->facts().cpus;
    ASSERT_EQ(cpus.size(), 2u);
    for (const CpuState& cpu : cpus) {
      ASSERT_TRUE(cpu.pid.has_value()) << "cpu " << cpu.cpu;
      EXPECT_EQ(*cpu.pid, cpu.cpu + 1);
    }
  }
}

TEST(BadDump, NoVmcoreinfoIsAClearError) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  ScratchDir scratch;
  // ELF: the notes sit in the first pages; a 1 MiB prefix with the note renamed is enough.
  const fs::path elf = scratch.path() / "vmcore.elf";
  CopyPrefix(dumps / "sysrq-nokaslr" / "vmcore.elf", elf, 1 << 20);
  Patch(elf, "VMCOREINFO", "VMCOREINFX", 1 << 16);
  auto dump = DumpFile::Open({elf.string()});
  ASSERT_FALSE(dump);
  EXPECT_EQ(dump.error().message,
            elf.string() + ": no VMCOREINFO in the dump (was qemu_fw_cfg loaded / -device vmcoreinfo given?)");
  // diskdump: the notes follow the header and bitmaps.
  const fs::path kdump = scratch.path() / "vmcore.kdump-zlib";
  CopyPrefix(dumps / "sysrq-nokaslr" / "vmcore.kdump-zlib", kdump, fs::file_size(dumps / "sysrq-nokaslr" / "vmcore.kdump-zlib"));
  Patch(kdump, "VMCOREINFO", "VMCOREINFX", 1 << 20);
  dump = DumpFile::Open({kdump.string()});
  ASSERT_FALSE(dump);
  EXPECT_EQ(dump.error().message,
            kdump.string() + ": no VMCOREINFO in the dump (was qemu_fw_cfg loaded / -device vmcoreinfo given?)");
  // A file cut before its notes lacks VMCOREINFO because it is truncated: say that instead.
  const fs::path stub = scratch.path() / "stub.kdump";
  CopyPrefix(dumps / "sysrq-nokaslr" / "vmcore.kdump-zlib", stub, 4096 + 100);
  dump = DumpFile::Open({stub.string()});
  ASSERT_FALSE(dump);
  EXPECT_EQ(dump.error().message, stub.string() + ": no VMCOREINFO in the dump (the file is truncated: 4196 bytes "
                                                  "of the at least 274432 its headers describe (1%))");
}

// A kdump-compressed file (libkdumpfile names no architecture for these) whose header machine and
// VMCOREINFO say nothing of the architecture is refused with the reason, not read as some default.
TEST(BadDump, ArchitectureThatCannotBeToldIsRefused) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  ScratchDir scratch;
  const fs::path from = dumps / "sysrq-nokaslr" / "vmcore.kdump-zlib";
  const fs::path kdump = scratch.path() / "vmcore.kdump-zlib";
  CopyPrefix(from, kdump, fs::file_size(from));
  // Every hint DeriveDumpArch knows, in every copy of the note: utsname.machine in the header
  // (the first "x86_64"), the x86-64-only VMCOREINFO keys, the release's "-amd64" suffix.
  Patch(kdump, std::string("x86_64\0", 7), std::string("xyzzy!\0", 7), 4096);
  for (const auto& [what, with] : std::vector<std::pair<std::string, std::string>>{
           {"SYMBOL(init_top_pgt)", "SYMBOL(init_top_pgX)"},
           {"NUMBER(phys_base)", "NUMBER(phys_basX)"},
           {"NUMBER(pgtable_l5_enabled)", "NUMBER(pgtable_l5_enableX)"},
           {"cloud-amd64\n", "cloud-amdXX\n"}}) {
    std::string head = Slurp(kdump).substr(0, 1 << 20);
    const size_t copies = [&] {
      size_t n = 0;
      for (size_t at = head.find(what); at != std::string::npos; at = head.find(what, at + 1)) ++n;
      return n;
    }();
    ASSERT_GE(copies, 1u) << what;
    for (size_t i = 0; i < copies; ++i) Patch(kdump, what, with, 1 << 20);
  }
  auto dump = DumpFile::Open({kdump.string()});
  ASSERT_FALSE(dump);
  EXPECT_EQ(dump.error().message, kdump.string() + ": the dump does not name its architecture (arch.name) and neither "
                                                   "its header nor VMCOREINFO tells it");
}

// Two edits of VMCOREINFO lines (found by flipping bytes of this dump) make libkdumpfile 0.5.1
// crash with SIGSEGV: Open runs libkdumpfile in a child process first and reports it instead.
TEST(BadDump, LibkdumpfileCrashOnCorruptVmcoreinfoBecomesAnError) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  ScratchDir scratch;
  const fs::path elf = scratch.path() / "vmcore.elf";
  CopyPrefix(dumps / "sysrq-nokaslr" / "vmcore.elf", elf, 1 << 20);
  Patch(elf, "SIZE(printk_info)=88\n", "SIZE(printk_info)=88\\", 1 << 16);
  Patch(elf, "OFFSET(latched_seq.val)", "OFFSET(latched_se\n.val)", 1 << 16);
  auto read = ReadVmcore(std::vector<std::string>{elf.string()});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().message,
            elf.string() + ": libkdumpfile crashed reading this dump (Segmentation fault): the file is corrupt");
  // Without the reader process, the crash is ours: when this stops dying, libkdumpfile is fixed
  // and the reader process may go.
  EXPECT_DEATH((void)DumpFile::Open(std::vector<std::string>{elf.string()}), "");
}

TEST(BadDump, FilesThatAreNoDump) {
  ScratchDir scratch;
  auto write = [&](const std::string& name, const std::string& bytes) {
    const fs::path p = scratch.path() / name;
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p.string();
  };
  const std::string empty = write("empty", "");
  const std::string log = write("dmesg.log", "[    0.000000] Linux version 6.1.0-50-cloud-amd64\n[    1.0] ok\n");
  const std::string gzip = write("log.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) + std::string(100, 'x'));
  std::string garbage(8192, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 2654435761u >> 13);
  const std::string noise = write("garbage.bin", garbage);
  // An ELF executable is ELF but no core.
  std::string exec(64, '\0');
  exec.replace(0, 7, "\x7f" "ELF\x02\x01\x01");
  exec[16] = 2;  // ET_EXEC
  exec[56] = 1;
  const std::string executable = write("a.out", exec);
  // Signatures with nothing behind them.
  const std::string short_kdump = write("short.kdump", "KDUMP   ");
  const std::string short_flat = write("short.flat", std::string("makedumpfile\0\0\0\0", 16));

  for (const std::string& path : {empty, log, gzip, noise, executable}) EXPECT_FALSE(OpenIfDump(path)) << path;
  EXPECT_FALSE(OpenIfDump(scratch.path().string())) << "a directory";
  EXPECT_FALSE(OpenIfDump((scratch.path() / "missing").string()));
  EXPECT_TRUE(OpenIfDump(short_kdump));
  EXPECT_TRUE(OpenIfDump(short_flat));

  auto error_of = [](const std::string& path) {
    auto dump = DumpFile::Open({path});
    return dump ? std::string("opened") : dump.error().message;
  };
  EXPECT_EQ(error_of(empty), empty + ": empty file, not a dump");
  EXPECT_EQ(error_of(log), log + ": not a crash dump (no ELF core, KDUMP/DISKDUMP or makedumpfile signature)");
  EXPECT_EQ(error_of(gzip), gzip + ": not a crash dump (no ELF core, KDUMP/DISKDUMP or makedumpfile signature)");
  EXPECT_EQ(error_of(noise), noise + ": not a crash dump (no ELF core, KDUMP/DISKDUMP or makedumpfile signature)");
  EXPECT_TRUE(error_of(executable).starts_with(executable + ": ")) << error_of(executable);
  EXPECT_TRUE(error_of(short_kdump).starts_with(short_kdump + ": kdump_open_fd: ")) << error_of(short_kdump);
  EXPECT_EQ(error_of(short_flat), short_flat + ": flattened dump cut in its 4096-byte header (16 bytes): no dump data");
  EXPECT_EQ(error_of(scratch.path().string()), scratch.path().string() + ": is a directory, not a dump");
  const std::string missing = (scratch.path() / "missing").string();
  EXPECT_EQ(error_of(missing), missing + ": open: No such file or directory");
  auto none = DumpFile::Open(std::vector<std::string>{});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "no dump file given");
}

TEST(BadDump, RealDumpsAndLogsBySniffing) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  for (const char* file : {"vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-zlib.flat"})
    EXPECT_TRUE(OpenIfDump((dumps / "sysrq-kaslr" / file).string())) << file;
  for (const char* file : {"console.log", "meta.json"})
    EXPECT_FALSE(OpenIfDump((dumps / "sysrq-kaslr" / file).string())) << file;
  EXPECT_FALSE(OpenIfDump((dumps / "kernel/vmlinux").string()));
}

TEST(DumpArch, FromTheHeaderMachineThenVmcoreinfoThenTheRelease) {
  VmcoreInfo info;
  EXPECT_FALSE(DeriveDumpArch("", info).has_value());
  auto arch = DeriveDumpArch("x86_64", info);
  ASSERT_TRUE(arch);
  EXPECT_EQ(arch->name, "x86_64");
  EXPECT_EQ(DeriveDumpArch("arm64", info)->name, "aarch64");
  EXPECT_EQ(DeriveDumpArch("ppc64le", info)->name, "ppc64");
  EXPECT_FALSE(DeriveDumpArch("pdp11", info).has_value());

  info.osrelease = "6.1.0-50-cloud-amd64";
  arch = DeriveDumpArch("", info);
  ASSERT_TRUE(arch);
  EXPECT_EQ(arch->name, "x86_64");
  EXPECT_EQ(arch->source, "the VMCOREINFO OSRELEASE suffix \"-amd64\"");
  info.numbers["kimage_voffset"] = 1;  // a key only arm64 exports wins over the release text
  EXPECT_EQ(DeriveDumpArch("", info)->name, "aarch64");
  info.symbols["init_top_pgt"] = 0xffffffff82000000;
  arch = DeriveDumpArch("", info);
  EXPECT_EQ(arch->name, "x86_64");
  EXPECT_EQ(arch->source, "VMCOREINFO SYMBOL(init_top_pgt)");
  info = VmcoreInfo{};
  info.osrelease = "5.14.0-427.el9.aarch64";
  EXPECT_EQ(DeriveDumpArch("", info)->name, "aarch64");
  info.osrelease = "6.8.0-40-generic";  // Ubuntu says nothing
  EXPECT_FALSE(DeriveDumpArch("", info).has_value());
}

}  // namespace
}  // namespace ktriage
