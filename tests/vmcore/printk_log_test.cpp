// ReadPrintkLog and FormatPrintkLog on synthetic dumps built in FakeMemory: a lockless ring laid
// out as 6.1 lays it out (VMCOREINFO offsets from the real 6.1.0-50-cloud-amd64 dumps), structured
// log_bufs of both names, corrupted variants of each; and, when the real dumps are cached, the
// dumps' logs against makedumpfile --dump-dmesg.
#include "analyzer/vmcore/printk_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/kallsyms.h"
#include "tests/vmcore/dump_cache.h"
#include "tests/vmcore/fake_memory.h"
#include "tests/vmcore/printk_vmcoreinfo.h"

namespace ktriage {
namespace {

using testing::FakeMemory;
using testing::kLocklessInfo;


VmcoreInfo Info(std::string_view text) {
  Result<VmcoreInfo> info = VmcoreInfo::Parse(text);
  EXPECT_TRUE(info.ok());
  return info.ok() ? *info : VmcoreInfo{};
}

constexpr uint64_t kCommitted = 1, kFinalized = 2, kReserved = 0, kReusable = 3;
constexpr uint32_t kCpu = 0x80000000U;

// A lockless ring in FakeMemory, written the way the kernel's prb_reserve()/data_alloc() write it.
struct LocklessRing {
  static constexpr uint64_t kPrbPointer = 0xffffffff82a62540;
  static constexpr uint64_t kRing = 0xffffffff82a62560;
  static constexpr uint64_t kDescs = 0xffffffff83000000;
  static constexpr uint64_t kInfos = 0xffffffff83100000;
  static constexpr uint64_t kData = 0xffffffff83200000;

  FakeMemory memory;
  uint32_t count_bits;
  uint32_t size_bits;
  uint64_t head_lpos;  // where the next data block goes

  LocklessRing(uint32_t count_bits_, uint32_t size_bits_, uint64_t first_lpos)
      : count_bits(count_bits_), size_bits(size_bits_), head_lpos(first_lpos) {
    memory.Map(kPrbPointer, 8);
    memory.Map(kRing, 88);
    memory.Map(kDescs, (uint64_t{1} << count_bits) * 24);
    memory.Map(kInfos, (uint64_t{1} << count_bits) * 88);
    memory.Map(kData, uint64_t{1} << size_bits);
    memory.U64(kPrbPointer, kRing);
    memory.U32(kRing + 0, count_bits);
    memory.U64(kRing + 8, kDescs);
    memory.U64(kRing + 16, kInfos);
    memory.U32(kRing + 48, size_bits);
    memory.U64(kRing + 48 + 8, kData);
  }
  uint64_t count() const { return uint64_t{1} << count_bits; }
  uint64_t DescAddress(uint64_t id) const { return kDescs + (id & (count() - 1)) * 24; }
  uint64_t InfoAddress(uint64_t id) const { return kInfos + (id & (count() - 1)) * 88; }
  void Ids(uint64_t tail, uint64_t head) {
    memory.U64(kRing + 32, tail);
    memory.U64(kRing + 24, head);
  }
  void Desc(uint64_t id, uint64_t state, uint64_t begin, uint64_t next) {
    memory.U64(DescAddress(id), state << 62 | id);
    memory.U64(DescAddress(id) + 8, begin);
    memory.U64(DescAddress(id) + 16, next);
  }
  void Info(uint64_t id, uint64_t seq, uint64_t ts, uint16_t text_len, uint8_t level, uint8_t facility,
            uint32_t caller) {
    const uint64_t a = InfoAddress(id);
    memory.U64(a, seq);
    memory.U64(a + 8, ts);
    memory.U16(a + 16, text_len);
    memory.U8(a + 18, facility);
    memory.U8(a + 19, static_cast<uint8_t>(level << 5 | 0x2));  // a flags bit (LOG_CONT) must not leak into level
    memory.U32(a + 20, caller);
  }
  // data_alloc(): the block holds the id word then the text; when it does not fit before the end
  // of the ring, the id is written at the old position and the whole block at offset 0.
  std::pair<uint64_t, uint64_t> Block(uint64_t id, std::string_view text) {
    const uint64_t size = uint64_t{1} << size_bits;
    const uint64_t block = (8 + text.size() + 7) / 8 * 8;
    const uint64_t begin = head_lpos;
    uint64_t next = begin + block;
    uint64_t at = begin & (size - 1);
    if ((begin >> size_bits) != (next >> size_bits)) {
      memory.U64(kData + at, id);
      next = (next & ~(size - 1)) + block;
      at = 0;
    }
    memory.U64(kData + at, id);
    memory.Text(kData + at + 8, text);
    head_lpos = next;
    return {begin, next};
  }
  void Record(uint64_t id, uint64_t state, uint64_t seq, uint64_t ts, std::string_view text, uint8_t level,
              uint32_t caller) {
    auto [begin, next] = Block(id, text);
    Desc(id, state, begin, next);
    Info(id, seq, ts, static_cast<uint16_t>(text.size()), level, 0, caller);
  }
};

// Seven descriptors around the ring's index wrap: five readable records, one reserved, one whose
// slot holds an older id; a multi-line text, a block that wraps the data ring, an empty line.
LocklessRing SampleRing() {
  LocklessRing ring(3, 8, 256 + 128);
  const std::string long_text(50, 'w');
  ring.Record(5, kFinalized, 10, 0, "Linux version 6.1.0-50-cloud-amd64 (debian-kernel)", 5, 0);
  ring.Record(6, kFinalized, 11, 1954573000, "line one\nline two", 6, 1);
  ring.Desc(7, kReserved, 0, 0);  // being written when the machine died
  ring.Info(7, 12, 1954574000, 0, 4, 0, 1);
  ring.Desc(8, kCommitted, 3, 3);  // an empty line: data-less
  ring.Info(8, 13, 2000000000, 0, 6, 0, kCpu | 1);
  ring.Record(9, kFinalized, 14, 2100000000, "stale", 6, 5);
  ring.memory.U64(ring.DescAddress(9), kFinalized << 62 | 1);  // the slot still holds id 1
  ring.Record(10, kFinalized, 15, 3000000000, long_text, 3, 123);
  ring.Record(11, kCommitted, 16, 3905269123, "tab\tand \x01 bell \xc3\xa9", 0, kCpu | 0);
  ring.Ids(5, 11);
  return ring;
}

TEST(PrintkLocklessTest, ReadsCommittedAndFinalizedRecordsInOrder) {
  LocklessRing ring = SampleRing();
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->layout, PrintkLog::Layout::kLockless);
  EXPECT_EQ(log->skipped_records, 2u);  // the reserved one and the recycled slot
  EXPECT_TRUE(log->warnings.empty()) << log->warnings.front();
  ASSERT_EQ(log->records.size(), 5u);

  const auto& r = log->records;
  EXPECT_EQ(r[0].sequence, 10u);
  EXPECT_EQ(r[0].text, "Linux version 6.1.0-50-cloud-amd64 (debian-kernel)");
  EXPECT_EQ(r[0].level, 5);
  EXPECT_EQ(r[0].caller, (Caller{Caller::Kind::kThread, 0}));
  EXPECT_EQ(r[1].sequence, 11u);
  EXPECT_EQ(r[1].timestamp_ns, 1954573000u);
  EXPECT_EQ(r[1].text, "line one\nline two");
  EXPECT_EQ(r[1].caller, (Caller{Caller::Kind::kThread, 1}));
  EXPECT_EQ(r[2].sequence, 13u);
  EXPECT_EQ(r[2].text, "");
  EXPECT_EQ(r[2].caller, (Caller{Caller::Kind::kCpu, 1}));
  EXPECT_EQ(r[3].sequence, 15u);
  EXPECT_EQ(r[3].text, std::string(50, 'w'));
  EXPECT_EQ(r[3].level, 3);
  EXPECT_EQ(r[3].caller, (Caller{Caller::Kind::kThread, 123}));
  EXPECT_EQ(r[4].sequence, 16u);
  EXPECT_EQ(r[4].text, "tab\tand \x01 bell \xc3\xa9");
  EXPECT_EQ(r[4].level, 0);
  EXPECT_EQ(r[4].caller, (Caller{Caller::Kind::kCpu, 0}));

  // The wrapped block really wrapped: its descriptor's begin and next are in different wraps.
  EXPECT_EQ(ring.memory.Byte(LocklessRing::kDescs + (10 & 7) * 24 + 8), 0xf0);  // begin 0x1f0, next 0x240
}

TEST(PrintkLocklessTest, FormatsLikeMakedumpfile) {
  LocklessRing ring = SampleRing();
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(FormatPrintkLog(*log, false),
            "[    0.000000] Linux version 6.1.0-50-cloud-amd64 (debian-kernel)\n"
            "[    1.954573] line one\n"
            "               line two\n"
            "[    2.000000] \n"
            "[    3.000000] " + std::string(50, 'w') + "\n"
            "[    3.905269] tab\tand \\x01 bell \\xc3\\xa9\n");
  EXPECT_EQ(FormatPrintkLog(*log, true),
            "[    0.000000][    T0] Linux version 6.1.0-50-cloud-amd64 (debian-kernel)\n"
            "[    1.954573][    T1] line one\n"
            "                       line two\n"
            "[    2.000000][    C1] \n"
            "[    3.000000][  T123] " + std::string(50, 'w') + "\n"
            "[    3.905269][    C0] tab\tand \\x01 bell \\xc3\\xa9\n");
}

TEST(PrintkLocklessTest, ReadsTheRingInAFewLargeReads) {
  LocklessRing ring = SampleRing();
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok());
  // prb pointer, ring header, descs, infos, data: not one read per record or field.
  EXPECT_LE(ring.memory.reads(), 5u);
}

TEST(PrintkLocklessTest, TailFarBehindHeadReadsAtMostTheRing) {
  LocklessRing ring = SampleRing();
  ring.Ids(5, 5 + 1000000);  // a corrupt tail: a million ids for 8 descriptors
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok());
  EXPECT_LE(log->records.size() + log->skipped_records, 8u);
  ASSERT_FALSE(log->warnings.empty());
  EXPECT_NE(log->warnings.front().find("more than the 8 descriptors"), std::string::npos) << log->warnings.front();
}

TEST(PrintkLocklessTest, HugeCountBitsIsRefusedWithoutAllocating) {
  LocklessRing ring = SampleRing();
  ring.memory.U32(LocklessRing::kRing, 40);
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("count_bits 40"), std::string::npos) << log.error().message;
  EXPECT_LE(ring.memory.bytes_read(), 4096u);

  ring.memory.U32(LocklessRing::kRing, 3);
  ring.memory.U32(LocklessRing::kRing + 48, 63);  // size_bits
  log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("size_bits 63"), std::string::npos) << log.error().message;
}

TEST(PrintkLocklessTest, ZeroedOrNullRingIsAnError) {
  LocklessRing ring = SampleRing();
  for (uint64_t a = LocklessRing::kRing; a < LocklessRing::kRing + 88; a += 8) ring.memory.U64(a, 0);
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("printk ring buffer at 0xffffffff82a62560"), std::string::npos)
      << log.error().message;

  ring.memory.U64(LocklessRing::kPrbPointer, 0);
  log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("NULL"), std::string::npos) << log.error().message;

  ring.memory.Unmap(LocklessRing::kPrbPointer);
  log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("prb pointer"), std::string::npos) << log.error().message;
}

TEST(PrintkLocklessTest, ZeroedDescriptorsYieldNoRecords) {
  LocklessRing ring = SampleRing();
  for (uint64_t a = LocklessRing::kDescs; a < LocklessRing::kDescs + 8 * 24; a += 8) ring.memory.U64(a, 0);
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(log->records.empty());
  EXPECT_EQ(log->skipped_records, 7u);  // all reserved with id 0
}

TEST(PrintkLocklessTest, BadDataPositionsSkipTheRecordWithAWarning) {
  struct Case {
    const char* what;
    uint64_t begin, next;
    const char* warning;
  } cases[] = {
      {"misaligned next", 384, 433, "invalid data block"},
      {"two wraps apart", 384, 384 + 3 * 256, "invalid data block"},
      {"begin after next", 432, 384, "invalid data block"},
      {"too small for the id", 384, 384, "invalid data block"},
      {"text longer than block", 384, 400, "exceeds its data block"},
      {"block of another id", 512, 576, "belongs to descriptor 10"},
      {"odd positions", 5, 7, "invalid data-less block"},
  };
  for (const Case& c : cases) {
    LocklessRing ring = SampleRing();
    ring.Desc(5, kFinalized, c.begin, c.next);
    Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
    ASSERT_TRUE(log.ok()) << c.what;
    EXPECT_EQ(log->records.size(), 4u) << c.what;
    EXPECT_EQ(log->records.front().sequence, 11u) << c.what;
    EXPECT_EQ(log->skipped_records, 3u) << c.what;
    ASSERT_EQ(log->warnings.size(), 1u) << c.what;
    EXPECT_NE(log->warnings[0].find(c.warning), std::string::npos) << c.what << ": " << log->warnings[0];
  }
}

TEST(PrintkLocklessTest, FailedLposRecordsAreSkippedAsTheKernelDoes) {
  LocklessRing ring = SampleRing();
  ring.Desc(6, kFinalized, 1, 1);
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->records.size(), 4u);
  EXPECT_EQ(log->skipped_records, 3u);
  ASSERT_EQ(log->warnings.size(), 1u);
  EXPECT_NE(log->warnings[0].find("no text stored"), std::string::npos);
}

TEST(PrintkLocklessTest, FlippedStateBitsSkipInsteadOfInventing) {
  LocklessRing ring = SampleRing();
  // A finalized descriptor turned reusable, and another whose id bits no longer match its slot.
  ring.memory.U64(ring.DescAddress(5), kReusable << 62 | 5);
  ring.memory.U64(ring.DescAddress(6), kFinalized << 62 | (6 ^ (uint64_t{1} << 40)));
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->records.size(), 3u);
  EXPECT_EQ(log->records[0].sequence, 13u);
  EXPECT_EQ(log->skipped_records, 4u);
}

TEST(PrintkLocklessTest, UnreadableInfosAreWarnedAboutBoundedly) {
  LocklessRing ring(6, 11, 0);  // 64 descriptors
  for (uint64_t id = 0; id < 64; ++id) ring.Record(id, kFinalized, id, id * 1000, "x", 6, 1);
  ring.Ids(0, 63);
  ring.memory.Unmap(LocklessRing::kInfos);
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(log->records.empty());
  EXPECT_EQ(log->skipped_records, 64u);
  EXPECT_EQ(log->warnings.size(), 33u);  // 32 verbatim and a count of the rest
  EXPECT_EQ(log->warnings.back(), "32 more warnings like these were left out");
}

TEST(PrintkLocklessTest, MissingVmcoreinfoEntriesAreNamed) {
  std::string text(kLocklessInfo);
  for (std::string_view line : {"SIZE(prb_desc)=24\n", "OFFSET(printk_info.caller_id)=20\n"}) {
    text.erase(text.find(line), line.size());
  }
  LocklessRing ring = SampleRing();
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(text));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("SIZE(prb_desc), OFFSET(printk_info.caller_id)"), std::string::npos)
      << log.error().message;
}

TEST(PrintkLocklessTest, OffsetsOutsideTheirStructAreRefused) {
  std::string text(kLocklessInfo);
  const std::string line = "OFFSET(printk_info.ts_nsec)=8\n";
  text.replace(text.find(line), line.size(), "OFFSET(printk_info.ts_nsec)=4000\n");
  LocklessRing ring = SampleRing();
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(text));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("SIZE(printk_info)"), std::string::npos) << log.error().message;
}

TEST(PrintkLocklessTest, RandomCorruptionNeverHangsOrInvents) {
  // Flip bytes of the header, descriptors and infos; every outcome is fine except a crash, a hang,
  // or a record text that is not in the data ring.
  std::mt19937_64 random(20261122);
  const std::string ring_bytes = [] {
    LocklessRing ring = SampleRing();
    std::string bytes(256, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(ring.memory.Byte(LocklessRing::kData + i));
    return bytes;
  }();
  for (int round = 0; round < 3000; ++round) {
    LocklessRing ring = SampleRing();
    for (int flips = 1 + static_cast<int>(random() % 4); flips > 0; --flips) {
      const uint64_t region = random() % 3;
      const uint64_t base = region == 0 ? LocklessRing::kRing : region == 1 ? LocklessRing::kDescs : LocklessRing::kInfos;
      const uint64_t size = region == 0 ? 88 : region == 1 ? 8 * 24 : 8 * 88;
      const uint64_t at = base + random() % size;
      ring.memory.U8(at, static_cast<uint8_t>(ring.memory.Byte(at) ^ (1u << (random() % 8))));
    }
    Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
    if (!log.ok()) continue;
    EXPECT_LE(log->records.size(), 8u);
    EXPECT_LE(log->warnings.size(), 33u);
    for (const PrintkRecord& r : log->records) {
      EXPECT_NE(ring_bytes.find(r.text), std::string::npos) << "round " << round << " invented: " << r.text;
    }
  }
}

// A ring whose descriptor array is missing from the dump: each missing page is tried once, not
// once per descriptor (a fuzzer's ring of 2^26 descriptors in missing memory took minutes).
TEST(PrintkLocklessTest, MissingDescriptorPagesAreSkippedAPageAtATime) {
  LocklessRing ring(12, 16, 0);
  ring.Ids(0, 4095);
  ring.memory.Unmap(LocklessRing::kDescs);
  const size_t reads_before = ring.memory.reads();
  Result<PrintkLog> log = ReadPrintkLog(ring.memory, Info(kLocklessInfo));
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_TRUE(log->records.empty());
  EXPECT_EQ(log->skipped_records, 4096u);
  // 24 pages of 24-byte descriptors: a page read and an exact read each, plus the window.
  EXPECT_LT(ring.memory.reads() - reads_before, 80u);
}

// --- Structured log_buf ---------------------------------------------------------------------------

// struct printk_log (3.11-5.9) with CONFIG_PRINTK_CALLER: u64 ts_nsec; u16 len, text_len, dict_len;
// u8 facility; u8 flags:5, level:3; u32 caller_id. Without the caller: 16 bytes.
struct LogBuf {
  static constexpr uint64_t kLogBufPointer = 0xffffffff82455ba8;
  static constexpr uint64_t kLogBufLen = 0xffffffff82455ba0;
  static constexpr uint64_t kFirstIdx = 0xffffffff82e1d1f0;
  static constexpr uint64_t kNextIdx = 0xffffffff82e1d1f8;
  static constexpr uint64_t kBuffer = 0xffffffff82e5c3a0;
  FakeMemory memory;
  uint64_t header;
  bool with_caller;
  LogBuf(uint32_t length, bool caller) : header(caller ? 24 : 16), with_caller(caller) {
    for (uint64_t a : {kLogBufPointer, kLogBufLen, kFirstIdx, kNextIdx}) memory.Map(a, 8);
    memory.Map(kBuffer, length);
    memory.U64(kLogBufPointer, kBuffer);
    memory.U32(kLogBufLen, length);
  }
  // Returns the index after the record (len is aligned to 8, as LOG_ALIGN on x86-64).
  uint32_t Record(uint32_t index, uint64_t ts, std::string_view text, uint8_t level, uint32_t caller,
                  std::string_view dict = {}) {
    const auto len = static_cast<uint16_t>((header + text.size() + dict.size() + 7) / 8 * 8);
    const uint64_t a = kBuffer + index;
    memory.U64(a, ts);
    memory.U16(a + 8, len);
    memory.U16(a + 10, static_cast<uint16_t>(text.size()));
    memory.U16(a + 12, static_cast<uint16_t>(dict.size()));
    memory.U8(a + 14, 0);
    memory.U8(a + 15, static_cast<uint8_t>(level << 5 | 0x4));
    if (with_caller) memory.U32(a + 16, caller);
    memory.Text(a + header, text);
    memory.Text(a + header + text.size(), dict);
    return index + len;
  }
  void Wrap(uint32_t index) { memory.U16(kBuffer + index + 8, 0); }
  void Indexes(uint32_t first, uint32_t next) {
    memory.U32(kFirstIdx, first);
    memory.U32(kNextIdx, next);
  }
};

std::string StructuredInfo(std::string_view type, bool caller) {
  std::string t(type);
  std::string text =
      "OSRELEASE=5.4.0-150-generic\n"
      "SYMBOL(log_buf)=ffffffff82455ba8\n"
      "SYMBOL(log_buf_len)=ffffffff82455ba0\n"
      "SYMBOL(log_first_idx)=ffffffff82e1d1f0\n"
      "SYMBOL(clear_idx)=ffffffff82e1d1e8\n"
      "SYMBOL(log_next_idx)=ffffffff82e1d1f8\n"
      "SIZE(" + t + ")=" + (caller ? "24" : "16") + "\n"
      "OFFSET(" + t + ".ts_nsec)=0\n"
      "OFFSET(" + t + ".len)=8\n"
      "OFFSET(" + t + ".text_len)=10\n"
      "OFFSET(" + t + ".dict_len)=12\n";
  if (caller) text += "OFFSET(" + t + ".caller_id)=16\n";
  return text;
}

// Two records at the end of the buffer, the wrap marker, two at the start.
LogBuf SampleLogBuf(bool caller) {
  LogBuf buf(200, caller);
  uint32_t i = buf.Record(80, 5000, "first", 6, 1, "SUBSYSTEM=pci");
  i = buf.Record(i, 6000, "second\nline", 4, kCpu | 1);
  buf.Wrap(i);
  i = buf.Record(0, 7000000000, "after wrap", 3, 77);
  i = buf.Record(i, 8000000000, "", 6, 77);
  buf.Indexes(80, i);
  return buf;
}

TEST(PrintkStructuredTest, ReadsPrintkLogWithCallerAcrossTheWrap) {
  LogBuf buf = SampleLogBuf(true);
  Result<PrintkLog> log = ReadPrintkLog(buf.memory, Info(StructuredInfo("printk_log", true)));
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->layout, PrintkLog::Layout::kStructured);
  EXPECT_TRUE(log->warnings.empty());
  ASSERT_EQ(log->records.size(), 4u);
  EXPECT_EQ(log->records[0].text, "first");  // the dict is not text
  EXPECT_EQ(log->records[0].level, 6);
  EXPECT_EQ(log->records[0].caller, (Caller{Caller::Kind::kThread, 1}));
  EXPECT_EQ(log->records[1].caller, (Caller{Caller::Kind::kCpu, 1}));
  EXPECT_EQ(log->records[2].text, "after wrap");
  EXPECT_EQ(log->records[3].sequence, 3u);
  EXPECT_EQ(FormatPrintkLog(*log, true),
            "[    0.000005][    T1] first\n"
            "[    0.000006][    C1] second\n"
            "                       line\n"
            "[    7.000000][   T77] after wrap\n"
            "[    8.000000][   T77] \n");
}

TEST(PrintkStructuredTest, ReadsTheOldLogStructWithoutCaller) {
  LogBuf buf = SampleLogBuf(false);
  Result<PrintkLog> log = ReadPrintkLog(buf.memory, Info(StructuredInfo("log", false)));
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->layout, PrintkLog::Layout::kStructuredOld);
  ASSERT_EQ(log->records.size(), 4u);
  EXPECT_FALSE(log->records[0].caller.known());
  EXPECT_EQ(log->records[1].level, 4);
  // Without a caller id, with_caller changes nothing.
  EXPECT_EQ(FormatPrintkLog(*log, true), FormatPrintkLog(*log, false));
  EXPECT_EQ(FormatPrintkLog(*log, false),
            "[    0.000005] first\n"
            "[    0.000006] second\n"
            "               line\n"
            "[    7.000000] after wrap\n"
            "[    8.000000] \n");
}

TEST(PrintkStructuredTest, EmptyBufferHasNoRecords) {
  LogBuf buf = SampleLogBuf(true);
  buf.Indexes(80, 80);
  Result<PrintkLog> log = ReadPrintkLog(buf.memory, Info(StructuredInfo("printk_log", true)));
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(log->records.empty());
}

TEST(PrintkStructuredTest, CorruptRecordsStopTheWalkWithAWarning) {
  struct Case {
    const char* what;
    uint64_t offset;  // into the buffer
    uint16_t value;
    size_t records;
    const char* warning;
  } cases[] = {
      {"len below the header", 80 + 8, 8, 0, "is corrupt"},
      {"text_len beyond len", 128 + 10, 200, 1, "is corrupt"},
      {"len beyond the buffer", 0 + 8, 4000, 2, "is corrupt"},
      {"second wrap marker", 0 + 8, 0, 2, "wraps twice"},
  };
  for (const Case& c : cases) {
    LogBuf buf = SampleLogBuf(true);
    buf.memory.U16(LogBuf::kBuffer + c.offset, c.value);
    Result<PrintkLog> log = ReadPrintkLog(buf.memory, Info(StructuredInfo("printk_log", true)));
    ASSERT_TRUE(log.ok()) << c.what;
    EXPECT_EQ(log->records.size(), c.records) << c.what;
    ASSERT_EQ(log->warnings.size(), 1u) << c.what;
    EXPECT_NE(log->warnings[0].find(c.warning), std::string::npos) << c.what << ": " << log->warnings[0];
  }
}

TEST(PrintkStructuredTest, NextIndexNeverReachedIsBounded) {
  LogBuf buf = SampleLogBuf(true);
  buf.Indexes(80, 3);  // not a record boundary: the walk passes it
  Result<PrintkLog> log = ReadPrintkLog(buf.memory, Info(StructuredInfo("printk_log", true)));
  ASSERT_TRUE(log.ok());
  EXPECT_LE(log->records.size(), 4u);
  EXPECT_FALSE(log->warnings.empty());
}

TEST(PrintkStructuredTest, ImplausibleVariablesAreErrors) {
  LogBuf buf = SampleLogBuf(true);
  buf.Indexes(500, 8);
  Result<PrintkLog> log = ReadPrintkLog(buf.memory, Info(StructuredInfo("printk_log", true)));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("log_first_idx 500"), std::string::npos) << log.error().message;

  buf = SampleLogBuf(true);
  buf.memory.U32(LogBuf::kLogBufLen, 0xffffffff);
  log = ReadPrintkLog(buf.memory, Info(StructuredInfo("printk_log", true)));
  ASSERT_FALSE(log.ok());
  EXPECT_LE(buf.memory.largest_read(), 64u);
}

TEST(PrintkLogTest, NoLogInVmcoreinfoIsAnError) {
  FakeMemory memory;
  Result<PrintkLog> log = ReadPrintkLog(memory, Info("OSRELEASE=6.1.0\nSYMBOL(_stext)=ffffffff81000000\n"));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("SYMBOL(prb)"), std::string::npos);
  log = ReadPrintkLog(memory, Info("OSRELEASE=3.2.0\nSYMBOL(log_buf)=ffffffff81000000\n"));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("before 3.5"), std::string::npos);
}

TEST(PrintkFormatTest, TimestampsCallersAndEscapes) {
  PrintkLog log;
  auto add = [&](uint64_t ts, std::string text, Caller caller) {
    PrintkRecord r;
    r.timestamp_ns = ts;
    r.text = std::move(text);
    r.caller = caller;
    log.records.push_back(r);
  };
  add(123456789012345678, "long uptime", {Caller::Kind::kThread, 1234567});
  add(999999, "under a microsecond is truncated", {Caller::Kind::kCpu, 12});
  add(1, std::string("nul\0byte\x7f\x80\xff\r\v\f", 14), {});
  add(2000, "\n", {});
  EXPECT_EQ(FormatPrintkLog(log, true),
            "[123456789.012345][T1234567] long uptime\n"
            "[    0.000999][   C12] under a microsecond is truncated\n"
            "[    0.000000] nul\\x00byte\\x7f\\x80\\xff\r\v\f\n"
            "[    0.000002] \n"
            "               \n");
  EXPECT_EQ(FormatPrintkLog(PrintkLog{}, false), "");
}

// --- The real dumps -------------------------------------------------------------------------------

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every nokaslr dump's log, read through DumpFile from both formats, is what makedumpfile printed.
TEST(PrintkRealDumpTest, MatchesMakedumpfileDumpDmesg) {
  KTRIAGE_REQUIRE_DUMPS(cache);
  size_t compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cache)) {
    const std::filesystem::path expected_path = entry.path() / "makedumpfile-dmesg.txt";
    if (!std::filesystem::exists(expected_path)) continue;
    const std::string expected = Slurp(expected_path);
    for (const char* file : {"vmcore.kdump-zlib", "vmcore.elf"}) {
      const std::filesystem::path dump = entry.path() / file;
      if (!std::filesystem::exists(dump)) continue;
      SCOPED_TRACE(dump.string());
      Result<std::unique_ptr<DumpFile>> opened = DumpFile::Open({dump.string()});
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      const auto start = std::chrono::steady_clock::now();
      Result<PrintkLog> log = ReadPrintkLog(**opened, (*opened)->vmcoreinfo());
      const auto elapsed = std::chrono::steady_clock::now() - start;
      ASSERT_TRUE(log.ok()) << log.error().message;
      EXPECT_TRUE(log->warnings.empty()) << log->warnings.front();
      // The one skipped descriptor is the ring's bootstrap descriptor (DESC0, reusable from init).
      EXPECT_EQ(log->skipped_records, 1u);
      EXPECT_EQ(FormatPrintkLog(*log, false), expected);
      EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 1000);
      ++compared;
    }
  }
  EXPECT_GT(compared, 0u) << "no nokaslr dump with makedumpfile-dmesg.txt under " << cache;
  RecordProperty("dumps_compared", static_cast<int>(compared));
}

}  // namespace
}  // namespace ktriage
