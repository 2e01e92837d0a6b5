// Damaged copies of the real QEMU dumps (corpora/dumps/make-dumps.sh), made here: truncated at
// 10/50/90%, the printk ring buffer's pages zeroed, bits flipped in the record descriptors and in
// the VMCOREINFO note. What ktriage reads from them must be a part of what the intact dump holds
// (never an invented record), what it lost must be counted or named, and nothing may hang.
#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "tests/reliability/reliability_util.h"
#include "tests/triage/triage_test_util.h"
#include "tests/vmcore/dump_cache.h"

// libkdumpfile 0.5.1 leaks about 100 bytes each time its address translation fails to set up
// (a truncated dump whose kernel page tables are in the missing part): not ours to fix.
extern "C" const char* __lsan_default_suppressions() { return "leak:libkdumpfile.so\n"; }

namespace ktriage::testing {
namespace {

// Generous: an intact dump reads in well under a second; a loop over corrupt data that is not
// bounded by the data's own size would take minutes or forever.
constexpr double kMaxSecondsPerRead = 30;

Result<VmcoreContents> TimedRead(const fs::path& path) {
  const auto start = std::chrono::steady_clock::now();
  VmcoreReadOptions options;
  options.symbols = false;  // kallsyms is checked by the vmcore suites; here it only costs time
  Result<VmcoreContents> r = ReadVmcore({path.string()}, options);
  EXPECT_LT(SecondsSince(start), kMaxSecondsPerRead) << path;
  return r;
}

bool AnyContains(const std::vector<std::string>& lines, std::string_view what) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(what) != std::string::npos; });
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& l : lines) all += "  " + l + "\n";
  return all;
}

// The intact dump's log, to judge the damaged copies by.
struct Reference {
  std::map<uint64_t, const PrintkRecord*> by_sequence;
  std::vector<std::string> sorted_texts;  // for prefix look-ups
  const PrintkLog* log = nullptr;

  explicit Reference(const PrintkLog& intact) : log(&intact) {
    for (const auto& r : intact.records) {
      by_sequence[r.sequence] = &r;
      sorted_texts.push_back(r.text);
    }
    std::sort(sorted_texts.begin(), sorted_texts.end());
  }

  // Damage that cannot change which record a descriptor names (truncation, zeroed pages, flipped
  // descriptor bits): every record read is the intact record of that sequence, field for field.
  // Returns how many intact records are missing.
  size_t ExpectExactSubset(const PrintkLog& damaged) const {
    size_t invented = 0;
    for (const auto& r : damaged.records) {
      auto it = by_sequence.find(r.sequence);
      if (it == by_sequence.end() || it->second->text != r.text || it->second->timestamp_ns != r.timestamp_ns ||
          it->second->caller.id != r.caller.id) {
        if (++invented <= 3) ADD_FAILURE() << "record " << r.sequence << " is not in the intact dump: '" << r.text << "'";
      }
    }
    EXPECT_EQ(invented, 0u);
    return log->records.size() - std::min(log->records.size(), damaged.records.size());
  }

  // Damage to VMCOREINFO may misplace fields (a text_len read from elsewhere, a sequence from
  // another offset), but text only ever comes from a data block that names its descriptor: each
  // text read is a prefix of an intact record's text.
  void ExpectTextsArePrefixes(const PrintkLog& damaged, const std::string& what) const {
    size_t invented = 0;
    for (const auto& r : damaged.records) {
      auto it = std::lower_bound(sorted_texts.begin(), sorted_texts.end(), r.text);
      if (it == sorted_texts.end() || !it->starts_with(r.text)) {
        if (++invented <= 3) ADD_FAILURE() << what << ": text not in the intact dump: '" << r.text << "'";
      }
    }
    EXPECT_EQ(invented, 0u) << what;
  }
};

// What was lost is said: a log that could not be read is a "printk log:" warning; records that
// could not be read are counted as skipped or named in a warning.
void ExpectLossAccountedFor(const VmcoreContents& intact, const VmcoreContents& damaged, size_t missing,
                            const std::string& what) {
  if (!damaged.log) {
    EXPECT_TRUE(AnyContains(damaged.facts.warnings, "printk log: ")) << what << Joined(damaged.facts.warnings);
    return;
  }
  if (missing == 0) return;
  const uint64_t newly_skipped = damaged.log->skipped_records - std::min(damaged.log->skipped_records, intact.log->skipped_records);
  EXPECT_TRUE(newly_skipped >= missing || AnyContains(damaged.log->warnings, "stopped at record"))
      << what << ": " << missing << " records lost, " << newly_skipped << " counted as skipped; warnings:\n"
      << Joined(damaged.log->warnings);
}

struct ElfLoad {
  uint64_t paddr, offset, filesz;
};

std::vector<ElfLoad> ElfLoads(const fs::path& elf) {
  std::vector<ElfLoad> loads;
  const std::string head = ReadAt(elf, 0, sizeof(Elf64_Ehdr));
  if (head.size() != sizeof(Elf64_Ehdr)) return loads;
  Elf64_Ehdr eh;
  std::memcpy(&eh, head.data(), sizeof eh);
  const std::string ph = ReadAt(elf, eh.e_phoff, size_t{eh.e_phnum} * sizeof(Elf64_Phdr));
  for (size_t i = 0; i + sizeof(Elf64_Phdr) <= ph.size(); i += sizeof(Elf64_Phdr)) {
    Elf64_Phdr p;
    std::memcpy(&p, ph.data() + i, sizeof p);
    if (p.p_type == PT_LOAD) loads.push_back({p.p_paddr, p.p_offset, p.p_filesz});
  }
  return loads;
}

// The printk ring buffer of a 5.10+ kernel, found the way the library finds it (VMCOREINFO, then
// the ring's own header), with the ELF file offsets of its arrays.
struct Ring {
  uint64_t header = 0, descs = 0, infos = 0, data = 0;  // kernel virtual addresses
  uint64_t count = 0, data_size = 0, desc_size = 0;
  uint64_t head_lpos = 0;  // where the next record's text goes: the text in use ends there (no wrap yet)
  uint64_t header_offset = 0, descs_offset = 0, data_offset = 0;  // in the ELF file
};

std::optional<uint64_t> ElfOffsetOf(const VmcoreInfo& info, const std::vector<ElfLoad>& loads, uint64_t va, uint64_t size) {
  // The kernel image mapping: PA = VA - __START_KERNEL_map + phys_base (x86_64; phys_base may be
  // negative with physical KASLR). The ring of a 6.1 kernel with the default log_buf_len is static.
  constexpr uint64_t kStartKernelMap = 0xffffffff80000000ULL;
  if (va < kStartKernelMap) return std::nullopt;
  const uint64_t pa = va - kStartKernelMap + static_cast<uint64_t>(info.Number("phys_base").value_or(0));
  for (const ElfLoad& l : loads) {
    if (pa >= l.paddr && pa - l.paddr + size <= l.filesz) return l.offset + (pa - l.paddr);
  }
  return std::nullopt;
}

void LocateRing(DumpFile& dump, const fs::path& elf, Ring& ring) {
  const VmcoreInfo& vi = dump.vmcoreinfo();
  auto need = [](std::optional<uint64_t> v, const char* what) {
    EXPECT_TRUE(v.has_value()) << what;
    return v.value_or(0);
  };
  const uint64_t desc_ring = need(vi.Offset("printk_ringbuffer.desc_ring"), "desc_ring");
  const uint64_t text_ring = need(vi.Offset("printk_ringbuffer.text_data_ring"), "text_data_ring");
  Result<uint64_t> prb = dump.ReadU64(need(vi.Symbol("prb"), "prb"));
  ASSERT_TRUE(prb.ok());
  ring.header = *prb;
  auto u64 = [&](uint64_t at) {
    Result<uint64_t> v = dump.ReadU64(at);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : 0;
  };
  auto u32 = [&](uint64_t at) {
    Result<uint32_t> v = dump.ReadU32(at);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : 0;
  };
  ring.count = uint64_t{1} << u32(ring.header + desc_ring + need(vi.Offset("prb_desc_ring.count_bits"), "count_bits"));
  ring.descs = u64(ring.header + desc_ring + need(vi.Offset("prb_desc_ring.descs"), "descs"));
  ring.infos = u64(ring.header + desc_ring + need(vi.Offset("prb_desc_ring.infos"), "infos"));
  ring.data_size = uint64_t{1} << u32(ring.header + text_ring + need(vi.Offset("prb_data_ring.size_bits"), "size_bits"));
  ring.data = u64(ring.header + text_ring + need(vi.Offset("prb_data_ring.data"), "data"));
  ring.head_lpos = u64(ring.header + text_ring + need(vi.Offset("prb_data_ring.head_lpos"), "head_lpos"));
  ring.desc_size = need(vi.Size("prb_desc"), "SIZE(prb_desc)");
  const auto loads = ElfLoads(elf);
  auto offset = [&](uint64_t va, uint64_t size) {
    std::optional<uint64_t> at = ElfOffsetOf(vi, loads, va, size);
    EXPECT_TRUE(at.has_value()) << std::hex << "0x" << va << " is not in the kernel image of " << elf;
    // The translation is right only if the file holds what the library reads there.
    if (at) {
      std::string want(std::min<uint64_t>(size, 4096), '\0');
      EXPECT_TRUE(dump.ReadVirtual(va, want.data(), want.size()).ok());
      EXPECT_EQ(ReadAt(elf, *at, want.size()), want) << std::hex << "file offset 0x" << *at << " for 0x" << va;
    }
    return at.value_or(0);
  };
  ring.header_offset = offset(ring.header, 64);
  ring.descs_offset = offset(ring.descs, ring.count * ring.desc_size);
  ring.data_offset = offset(ring.data, ring.data_size);
}

class DamagedDump : public ::testing::Test {
 protected:
  // An intact dump, its contents, and a writable sparse copy to damage.
  void Load(const std::string& variant, const std::string& file) {
    auto dumps = DumpCacheDir();
    if (!dumps) GTEST_SKIP() << "no real dumps: run `make dumps` (corpora/dumps/make-dumps.sh)";
    original_ = *dumps / variant / file;
    auto intact = TimedRead(original_);
    ASSERT_TRUE(intact.ok()) << intact.error().message;
    intact_ = std::move(*intact);
    ASSERT_TRUE(intact_.log.has_value());
    ASSERT_GT(intact_.log->records.size(), 300u);
    reference_.emplace(*intact_.log);
    copy_ = scratch_.path() / file;
  }

  Scratch scratch_;
  fs::path original_, copy_;
  VmcoreContents intact_;
  std::optional<Reference> reference_;
};

// Truncation at 10%, 50% and 90% of each format: the log read is a subset of the intact log, the
// loss is said, and `ktriage analyze` exits 0 (something read) or 1 (no usable dump) with a line
// naming the file.
class TruncatedDumpLog : public DamagedDump, public ::testing::WithParamInterface<std::string> {};

TEST_P(TruncatedDumpLog, ReadsASubsetAndSaysWhatIsMissing) {
  Load("warn-kaslr", GetParam());
  if (IsSkipped() || HasFatalFailure()) return;
  const uint64_t size = fs::file_size(original_);
  for (int percent : {10, 50, 90}) {
    SCOPED_TRACE(std::to_string(percent) + "%");
    const fs::path cut = scratch_.path() / (GetParam() + "." + std::to_string(percent));
    CopySparsePrefix(original_, cut, size * percent / 100);
    auto damaged = TimedRead(cut);
    size_t records = 0;
    if (!damaged.ok()) {
      EXPECT_TRUE(damaged.error().message.starts_with(cut.string() + ": ")) << damaged.error().message;
      EXPECT_NE(damaged.error().message.find("truncated"), std::string::npos) << damaged.error().message;
    } else {
      if (damaged->log) {
        const size_t missing = reference_->ExpectExactSubset(*damaged->log);
        ExpectLossAccountedFor(intact_, *damaged, missing, cut.string());
        records = damaged->log->records.size();
      } else {
        ExpectLossAccountedFor(intact_, *damaged, 0, cut.string());
      }
      // The cut itself is said, whatever could still be read.
      EXPECT_TRUE(AnyContains(damaged->facts.warnings, "truncated")) << Joined(damaged->facts.warnings);
    }
    const CliOutcome run = RunKtriage({"analyze", "--format", "json", "--no-symbols", cut.string()});
    if (!damaged.ok()) {
      EXPECT_EQ(run.code, cli::kExitInputError) << run.err;
      EXPECT_NE(run.err.find("ktriage: " + cut.string() + ": "), std::string::npos) << run.err;
    } else {
      EXPECT_EQ(run.code, cli::kExitOk) << run.err;
      auto doc = nlohmann::json::parse(run.out);
      const auto& vmcore = doc["inputs"][0]["vmcore"];
      EXPECT_EQ(vmcore["log"]["records"].get<size_t>(), records) << vmcore.dump();
      EXPECT_FALSE(vmcore["warnings"].empty());
    }
    std::printf("[ damaged  ] %s cut at %d%%: %s, %zu of %zu log records; %s\n", GetParam().c_str(), percent,
                damaged.ok() ? "opened" : damaged.error().message.c_str(), records, intact_.log->records.size(),
                damaged.ok() && !damaged->facts.warnings.empty() ? damaged->facts.warnings.back().c_str() : "");
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, TruncatedDumpLog,
                         ::testing::Values("vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-zlib.flat"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// Zeroed pages of the ring: its text data (all, or the older half), its descriptors, its header.
TEST_F(DamagedDump, ZeroedRingBufferPages) {
  Load("sysrq-kaslr", "vmcore.elf");
  if (IsSkipped() || HasFatalFailure()) return;
  CopySparsePrefix(original_, copy_, fs::file_size(original_));
  Ring ring;
  {
    auto dump = DumpFile::Open({copy_.string()});
    ASSERT_TRUE(dump.ok()) << dump.error().message;
    LocateRing(**dump, copy_, ring);
  }
  if (HasFailure()) return;
  struct Damage {
    const char* what;
    uint64_t offset, size;
    const char* warning;  // what the warnings must say
  };
  // A short boot has not wrapped the text ring: the text in use is [0, head_lpos). Its older half,
  // in whole pages.
  const uint64_t used = ring.head_lpos % ring.data_size;
  ASSERT_GT(used, 8192u);
  const uint64_t older_half = used / 2 / 4096 * 4096;
  const Damage damages[] = {
      {"all text data pages", ring.data_offset, ring.data_size, "its data block belongs to descriptor 0"},
      {"the pages of the older half of the text", ring.data_offset, older_half, "its data block belongs to descriptor 0"},
      {"all descriptor pages", ring.descs_offset, ring.count * ring.desc_size,
       "descriptors between tail and head were not committed or finalized"},
      {"the ring header", ring.header_offset, 64, "size_bits 0 is outside"},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.what);
    const std::string saved = ReadAt(copy_, d.offset, d.size);
    WriteAt(copy_, d.offset, std::string(d.size, '\0'));
    auto damaged = TimedRead(copy_);
    WriteAt(copy_, d.offset, saved);
    ASSERT_TRUE(damaged.ok()) << "a dump with a damaged log is still a dump: " << damaged.error().message;
    EXPECT_EQ(damaged->facts.osrelease, intact_.facts.osrelease);
    EXPECT_TRUE(AnyContains(damaged->facts.warnings, d.warning)) << Joined(damaged->facts.warnings);
    size_t records = 0;
    if (damaged->log) {
      const size_t missing = reference_->ExpectExactSubset(*damaged->log);
      EXPECT_GT(missing, 0u);
      ExpectLossAccountedFor(intact_, *damaged, missing, d.what);
      records = damaged->log->records.size();
      // No more than a bounded number of warning lines, however many records are broken.
      EXPECT_LE(damaged->log->warnings.size(), 40u) << Joined(damaged->log->warnings);
    } else {
      ExpectLossAccountedFor(intact_, *damaged, 0, d.what);
    }
    std::printf("[ damaged  ] zeroed %s: %zu of %zu records, %llu skipped, %zu warnings%s%s\n", d.what, records,
                intact_.log->records.size(), static_cast<unsigned long long>(damaged->facts.log_skipped),
                damaged->facts.warnings.size(), damaged->facts.warnings.empty() ? "" : ", first: ",
                damaged->facts.warnings.empty() ? "" : damaged->facts.warnings.front().c_str());
  }
  // The half that was not zeroed is still read: the newest records (the panic) survive.
  const std::string saved = ReadAt(copy_, ring.data_offset, older_half);
  WriteAt(copy_, ring.data_offset, std::string(older_half, '\0'));
  auto half = TimedRead(copy_);
  ASSERT_TRUE(half.ok());
  ASSERT_TRUE(half->log.has_value());
  EXPECT_GT(half->log->records.size(), intact_.log->records.size() / 4);
  EXPECT_LT(half->log->records.size(), intact_.log->records.size());
  EXPECT_EQ(half->facts.panic_message, intact_.facts.panic_message);
  // `ktriage dmesg` prints what is left, warns, and exits 0.
  const CliOutcome run = RunKtriage({"dmesg", copy_.string()});
  WriteAt(copy_, ring.data_offset, saved);
  EXPECT_EQ(run.code, cli::kExitOk) << run.err;
  EXPECT_NE(run.err.find("ktriage: warning: "), std::string::npos) << run.err;
  EXPECT_FALSE(run.out.empty());
}

// Bits flipped in the descriptors (state, id, data positions): records are skipped, never
// invented, and every skip is counted.
TEST_F(DamagedDump, FlippedDescriptorBits) {
  Load("null-deref-nokaslr", "vmcore.elf");
  if (IsSkipped() || HasFatalFailure()) return;
  CopySparsePrefix(original_, copy_, fs::file_size(original_));
  Ring ring;
  {
    auto dump = DumpFile::Open({copy_.string()});
    ASSERT_TRUE(dump.ok()) << dump.error().message;
    LocateRing(**dump, copy_, ring);
  }
  if (HasFailure()) return;
  const uint64_t span = ring.count * ring.desc_size;
  const std::string intact_descs = ReadAt(copy_, ring.descs_offset, span);
  Rng rng(7);
  size_t total_missing = 0;
  for (int trial = 0; trial < 64; ++trial) {
    // 1, 4, 16 or 64 flips, anywhere in the descriptor array.
    const int flips = 1 << (2 * (trial % 4));
    std::string descs = intact_descs;
    for (int i = 0; i < flips; ++i) {
      const uint64_t at = rng.Below(span);
      descs[at] = static_cast<char>(descs[at] ^ (1 << rng.Below(8)));
    }
    WriteAt(copy_, ring.descs_offset, descs);
    auto damaged = TimedRead(copy_);
    ASSERT_TRUE(damaged.ok()) << damaged.error().message;
    ASSERT_TRUE(damaged->log.has_value()) << Joined(damaged->facts.warnings);
    const std::string what = "trial " + std::to_string(trial) + " (" + std::to_string(flips) + " flips)";
    const size_t missing = reference_->ExpectExactSubset(*damaged->log);
    ExpectLossAccountedFor(intact_, *damaged, missing, what);
    total_missing += missing;
  }
  WriteAt(copy_, ring.descs_offset, intact_descs);
  // The flips did hit live descriptors (else the test proves nothing).
  EXPECT_GT(total_missing, 0u);
  std::printf("[ damaged  ] 64 descriptor-flip trials: %zu records lost in all, each counted\n", total_missing);
}

// Bits flipped in the VMCOREINFO note (its header and its text), one trial at a time, in the ELF
// and the kdump-compressed form: an error naming the file, or a dump whose log holds only texts
// of the intact log.
class FlippedVmcoreinfo : public DamagedDump, public ::testing::WithParamInterface<std::string> {};

TEST_P(FlippedVmcoreinfo, ErrorOrNothingInvented) {
  Load("sysrq-nokaslr", GetParam());
  if (IsSkipped() || HasFatalFailure()) return;
  CopySparsePrefix(original_, copy_, fs::file_size(original_));
  // The note: "VMCOREINFO\0\0" name, then the text; its 12-byte header precedes the name.
  const std::string head = ReadAt(copy_, 0, 1 << 20);
  const size_t name = head.find(std::string("VMCOREINFO\0", 11));
  ASSERT_NE(name, std::string::npos);
  ASSERT_GE(name, 12u);
  const size_t text = name + 12;
  const size_t text_end = head.find('\0', text);
  ASSERT_NE(text_end, std::string::npos);
  const uint64_t begin = name - 12;
  const std::string note = head.substr(begin, text_end - begin);
  Rng rng(GetParam().size());
  int errors = 0, opened = 0, logs = 0;
  const auto start = std::chrono::steady_clock::now();
  constexpr int kTrials = 256;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::string damaged_note = note;
    // Most flips land in the text (its numbers are what the readers trust); a few in the header.
    const uint64_t at = trial % 8 == 0 ? rng.Below(24) : 24 + rng.Below(note.size() - 24);
    damaged_note[at] = static_cast<char>(damaged_note[at] ^ (1 << rng.Below(8)));
    WriteAt(copy_, begin, damaged_note);
    auto damaged = TimedRead(copy_);
    const std::string what = "flip at note byte " + std::to_string(at);
    if (!damaged.ok()) {
      ++errors;
      EXPECT_TRUE(damaged.error().message.starts_with(copy_.string() + ": ")) << what << ": " << damaged.error().message;
      continue;
    }
    ++opened;
    if (damaged->log) {
      ++logs;
      reference_->ExpectTextsArePrefixes(*damaged->log, what);
    } else {
      EXPECT_TRUE(AnyContains(damaged->facts.warnings, "printk log: ")) << what;
    }
  }
  WriteAt(copy_, begin, note);
  std::printf("[ damaged  ] %s: %d VMCOREINFO flips in %.1f s: %d errors, %d opened (%d with a log)\n",
              GetParam().c_str(), kTrials, SecondsSince(start), errors, opened, logs);
  EXPECT_EQ(errors + opened, kTrials);
}

INSTANTIATE_TEST_SUITE_P(Formats, FlippedVmcoreinfo, ::testing::Values("vmcore.elf", "vmcore.kdump-zlib"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace ktriage::testing
