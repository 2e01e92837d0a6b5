// FlattenedDump: record and end-marker parsing on small synthetic files (overwrites, holes, cut
// records, corrupt headers), and the rebuild of QEMU's real flattened dumps compared byte for
// byte with `makedumpfile -R`'s output.
#include "analyzer/vmcore/flattened_dump.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/vmcore/dump_cache.h"

namespace ktriage {
namespace {

namespace fs = std::filesystem;

void PutBigEndian64(std::string& out, int64_t value) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xff));
}

// A flattened file: the 4096-byte header, then the records, then (optionally) the end marker.
struct FlatBuilder {
  std::string bytes;
  explicit FlatBuilder(int64_t type = 1) {
    bytes.assign("makedumpfile\0\0\0\0", 16);
    PutBigEndian64(bytes, type);
    PutBigEndian64(bytes, 1);
    bytes.resize(4096, '\0');
  }
  FlatBuilder& Record(int64_t offset, const std::string& data) { return Raw(offset, static_cast<int64_t>(data.size()), data); }
  FlatBuilder& Raw(int64_t offset, int64_t size, const std::string& data) {
    PutBigEndian64(bytes, offset);
    PutBigEndian64(bytes, size);
    bytes += data;
    return *this;
  }
  FlatBuilder& End() { return Raw(-1, -1, ""); }
};

class FlattenedDumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ktriage-flat-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `bytes` to a file and opens it.
  int Write(const std::string& bytes) {
    const fs::path path = dir_ / ("in" + std::to_string(files_++));
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    fds_.emplace_back(fd);
    return fd;
  }

  // Rebuilds and returns the whole rebuilt file.
  std::string Contents(int fd) {
    struct stat st {};
    EXPECT_EQ(::fstat(fd, &st), 0);
    std::string out(static_cast<size_t>(st.st_size), '\0');
    EXPECT_EQ(::pread(fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    return out;
  }

  fs::path dir_;
  int files_ = 0;
  std::vector<ScopedFd> fds_;
};

TEST_F(FlattenedDumpTest, SignatureIsTheSixteenBytesOfMakedumpfile) {
  EXPECT_TRUE(HasFlattenedSignature("makedumpfile\0\0\0\0rest", 20));
  EXPECT_FALSE(HasFlattenedSignature("makedumpfile", 12));           // too short
  EXPECT_FALSE(HasFlattenedSignature("makedumpfileXXXX", 16));       // padding must be NUL
  EXPECT_FALSE(HasFlattenedSignature("KDUMP   \0\0\0\0\0\0\0\0", 16));
}

TEST_F(FlattenedDumpTest, RecordsAreAppliedInFileOrderWithHolesAndOverwrites) {
  FlatBuilder flat;
  flat.Record(0, "HEADER")
      .Record(8192, "page-two")        // leaves a hole at 6..8191
      .Record(4096, "page-one")        // out of order, as page descriptors and data interleave
      .Record(2, "ad")                 // overwrites "HEADER" -> "HEadER": the later record wins
      .Record(100, "")                 // empty record: harmless
      .End();
  int fd = Write(flat.bytes);
  auto rebuilt = RebuildFlattened(fd, "synthetic.flat", dir_.string());
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  EXPECT_TRUE(rebuilt->scan.terminated);
  EXPECT_EQ(rebuilt->scan.truncation, "");
  EXPECT_EQ(rebuilt->scan.records, 5u);
  EXPECT_EQ(rebuilt->scan.rebuilt_size, 8200u);
  std::string expected(8200, '\0');
  expected.replace(0, 6, "HEadER");
  expected.replace(4096, 8, "page-one");
  expected.replace(8192, 8, "page-two");
  EXPECT_EQ(Contents(rebuilt->fd.get()), expected);
  // O_TMPFILE: nothing was linked into the temp dir besides our input.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(FlattenedDumpTest, SmallReadChunksGiveTheSameData) {
  FlatBuilder flat;
  std::string big(10000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  flat.Record(0, big).Record(20000, "tail").Record(5, "OVER").End();
  int fd = Write(flat.bytes);
  for (size_t chunk : {size_t{16}, size_t{17}, size_t{4096}, size_t{1} << 20}) {
    std::string out(20004, '\0');
    auto scan = ScanFlattened(fd, "synthetic.flat", [&](uint64_t dest, const char* data, size_t size) -> Status {
      EXPECT_LE(size, chunk);
      EXPECT_LE(dest + size, out.size());
      std::memcpy(out.data() + dest, data, size);
      return Ok{};
    }, chunk);
    ASSERT_TRUE(scan) << scan.error().message;
    EXPECT_TRUE(scan->terminated) << chunk;
    std::string expected(20004, '\0');
    expected.replace(0, big.size(), big);
    expected.replace(20000, 4, "tail");
    expected.replace(5, 4, "OVER");
    EXPECT_EQ(out, expected) << "chunk " << chunk;
  }
}

// The in-memory scan (fuzzing, tests) walks the records exactly as the file scan does, cut files included.
TEST_F(FlattenedDumpTest, ScanOfBytesMatchesScanOfTheFile) {
  FlatBuilder flat;
  flat.Record(4096, "page-one").Record(0, "HEADER").Record(8192, std::string(300, 'z')).Record(2, "ad");
  for (size_t keep : {flat.bytes.size(), flat.bytes.size() - 100, size_t{4096 + 20}, size_t{4095}}) {
    const std::string bytes = flat.bytes.substr(0, keep);
    auto collect = [](std::string& out) {
      return [&out](uint64_t dest, const char* data, size_t size) -> Status {
        out += std::to_string(dest) + ":" + std::string(data, size) + ";";
        return Ok{};
      };
    };
    std::string from_file, from_bytes;
    auto file_scan = ScanFlattened(Write(bytes), "x.flat", collect(from_file), 64);
    auto bytes_scan = ScanFlattened(std::string_view(bytes), "x.flat", collect(from_bytes), 64);
    ASSERT_EQ(file_scan.ok(), bytes_scan.ok()) << keep;
    EXPECT_EQ(from_bytes, from_file) << keep;
    if (!file_scan.ok()) {
      EXPECT_EQ(bytes_scan.error().message, file_scan.error().message);
      continue;
    }
    EXPECT_EQ(bytes_scan->records, file_scan->records);
    EXPECT_EQ(bytes_scan->truncation, file_scan->truncation) << keep;
    EXPECT_EQ(bytes_scan->written, file_scan->written);
    EXPECT_FALSE(bytes_scan->terminated);  // no end marker was written
  }
}

TEST_F(FlattenedDumpTest, SparseRebuildOfAFarOffset) {
  FlatBuilder flat;
  const int64_t far = int64_t{1} << 36;  // 64 GiB: a hole, not disk blocks
  flat.Record(0, "head").Record(far, "far away").End();
  int fd = Write(flat.bytes);
  auto rebuilt = RebuildFlattened(fd, "synthetic.flat", dir_.string());
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  struct stat st {};
  ASSERT_EQ(::fstat(rebuilt->fd.get(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(far) + 8);
  EXPECT_LT(st.st_blocks * 512, 1 << 20) << "the rebuilt file is not sparse";
  char buf[8];
  ASSERT_EQ(::pread(rebuilt->fd.get(), buf, 8, far), 8);
  EXPECT_EQ(std::string(buf, 8), "far away");
}

TEST_F(FlattenedDumpTest, MissingEndMarkerIsATruncationNotAnError) {
  FlatBuilder flat;
  flat.Record(0, "abc").Record(3, "def");
  int fd = Write(flat.bytes);
  auto rebuilt = RebuildFlattened(fd, "synthetic.flat", dir_.string());
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  EXPECT_FALSE(rebuilt->scan.terminated);
  EXPECT_EQ(rebuilt->scan.truncation, "ends after record #2 at byte 4134 without the end marker");
  EXPECT_EQ(Contents(rebuilt->fd.get()), "abcdef");
}

TEST_F(FlattenedDumpTest, RecordCutInItsDataKeepsWhatIsPresent) {
  FlatBuilder flat;
  flat.Record(0, "first").Record(100, "0123456789").End();
  // Cut after 4 of the second record's 10 data bytes.
  const size_t cut = 4096 + 16 + 5 + 16 + 4;
  int fd = Write(flat.bytes.substr(0, cut));
  auto rebuilt = RebuildFlattened(fd, "synthetic.flat", dir_.string());
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  EXPECT_FALSE(rebuilt->scan.terminated);
  EXPECT_EQ(rebuilt->scan.truncation, "cut in the data of record #2 at byte 4117: 4 of its 10 bytes present");
  EXPECT_EQ(rebuilt->scan.records, 2u);
  EXPECT_EQ(rebuilt->scan.data_bytes, 9u);
  std::string expected(104, '\0');
  expected.replace(0, 5, "first");
  expected.replace(100, 4, "0123");
  EXPECT_EQ(Contents(rebuilt->fd.get()), expected);
}

TEST_F(FlattenedDumpTest, RecordCutInItsHeader) {
  FlatBuilder flat;
  flat.Record(0, "first").Record(100, "second");
  int fd = Write(flat.bytes.substr(0, 4096 + 16 + 5 + 7));
  auto scan = ScanFlattened(fd, "synthetic.flat", [](uint64_t, const char*, size_t) -> Status { return Ok{}; });
  ASSERT_TRUE(scan) << scan.error().message;
  EXPECT_EQ(scan->truncation, "cut in the header of record #2 at byte 4117");
  EXPECT_EQ(scan->records, 1u);
}

TEST_F(FlattenedDumpTest, BadHeadersAndCorruptRecordsAreErrors) {
  auto scan_error = [&](const std::string& bytes) {
    int fd = Write(bytes);
    auto scan = ScanFlattened(fd, "bad.flat", [](uint64_t, const char*, size_t) -> Status { return Ok{}; });
    return scan ? std::string("no error") : scan.error().message;
  };
  EXPECT_EQ(scan_error("KDUMP   and more bytes"), "bad.flat: not a flattened dump (no \"makedumpfile\" signature)");
  EXPECT_EQ(scan_error(FlatBuilder().bytes.substr(0, 100)),
            "bad.flat: flattened dump cut in its 4096-byte header (100 bytes): no dump data");
  EXPECT_EQ(scan_error(FlatBuilder(2).End().bytes), "bad.flat: flattened dump of unsupported type 2 (expected 1)");
  EXPECT_EQ(scan_error(FlatBuilder().Record(0, "ok").Raw(-5, 3, "abc").End().bytes),
            "bad.flat: corrupt flattened dump: record #2 at byte 4114 has offset -5 and size 3");
  EXPECT_EQ(scan_error(FlatBuilder().Raw(0, -1, "").End().bytes),
            "bad.flat: corrupt flattened dump: record #1 at byte 4096 has offset 0 and size -1");
  EXPECT_EQ(scan_error(FlatBuilder().Raw(int64_t{1} << 62 | 1, 1, "x").End().bytes),
            "bad.flat: corrupt flattened dump: record #1 at byte 4096 has offset 4611686018427387905 and size 1");
  // A size far beyond the file is a cut record, not a reason to allocate or to wait.
  int fd = Write(FlatBuilder().Raw(0, int64_t{1} << 40, "tiny").bytes);
  auto scan = ScanFlattened(fd, "huge.flat", [](uint64_t, const char*, size_t) -> Status { return Ok{}; });
  ASSERT_TRUE(scan) << scan.error().message;
  EXPECT_EQ(scan->truncation, "cut in the data of record #1 at byte 4096: 4 of its 1099511627776 bytes present");
}

TEST_F(FlattenedDumpTest, SinkErrorsStopTheScanAndNameTheFile) {
  int fd = Write(FlatBuilder().Record(0, "a").Record(1, "b").End().bytes);
  int calls = 0;
  auto scan = ScanFlattened(fd, "x.flat", [&](uint64_t, const char*, size_t) -> Status {
    ++calls;
    return Error{"disk full"};
  });
  ASSERT_FALSE(scan);
  EXPECT_EQ(scan.error().message, "x.flat: disk full");
  EXPECT_EQ(calls, 1);
}

TEST_F(FlattenedDumpTest, UnwritableTempDirIsAClearError) {
  int fd = Write(FlatBuilder().Record(0, "a").End().bytes);
  auto rebuilt = RebuildFlattened(fd, "x.flat", (dir_ / "does-not-exist").string());
  ASSERT_FALSE(rebuilt);
  EXPECT_NE(rebuilt.error().message.find("x.flat: cannot create a temp file in "), std::string::npos)
      << rebuilt.error().message;
  EXPECT_NE(rebuilt.error().message.find("set TMPDIR"), std::string::npos);
}

// QEMU 7.2's flattened kdump files, rebuilt, equal makedumpfile -R's reassembly byte for byte.
TEST_F(FlattenedDumpTest, RealFlattenedDumpsRebuildToTheReassembledFile) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  for (const char* variant : {"sysrq-nokaslr", "sysrq-kaslr"}) {
    SCOPED_TRACE(variant);
    const fs::path flat = dumps / variant / "vmcore.kdump-zlib.flat";
    const fs::path reassembled = dumps / variant / "vmcore.kdump-zlib";
    ScopedFd in(::open(flat.c_str(), O_RDONLY | O_CLOEXEC));
    ScopedFd ref(::open(reassembled.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(in.valid() && ref.valid());
    auto rebuilt = RebuildFlattened(in.get(), flat.string(), dir_.string());
    ASSERT_TRUE(rebuilt) << rebuilt.error().message;
    EXPECT_TRUE(rebuilt->scan.terminated);
    EXPECT_EQ(rebuilt->scan.truncation, "");
    EXPECT_GT(rebuilt->scan.records, 1000u);
    EXPECT_EQ(rebuilt->scan.rebuilt_size, fs::file_size(reassembled));
    EXPECT_EQ(rebuilt->scan.data_bytes + 4096 + 16 * (rebuilt->scan.records + 1), fs::file_size(flat));
    std::vector<char> a(1 << 20), b(1 << 20);
    uint64_t pos = 0, differing = 0;
    for (;;) {
      ssize_t na = ::pread(rebuilt->fd.get(), a.data(), a.size(), static_cast<off_t>(pos));
      ssize_t nb = ::pread(ref.get(), b.data(), b.size(), static_cast<off_t>(pos));
      ASSERT_EQ(na, nb) << "at " << pos;
      if (na <= 0) break;
      if (std::memcmp(a.data(), b.data(), static_cast<size_t>(na)) != 0) ++differing;
      pos += static_cast<uint64_t>(na);
    }
    EXPECT_EQ(differing, 0u) << "MiB blocks differing from makedumpfile -R's output";
    EXPECT_EQ(pos, fs::file_size(reassembled));
  }
}

}  // namespace
}  // namespace ktriage
