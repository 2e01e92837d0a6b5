// ArchiveReader's chunks on archives made by the real tar and gzip: members lying whole in a
// decompressed block come out as shared slices of it (no copy), the bytes are exactly the
// member's whatever mix of ReadChunk and ReadData reads them, and sparse members' holes are zeros.
#include "analyzer/ingest/archive_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "base/scoped_fd.h"
#include "tests/triage/triage_test_util.h"

namespace ktriage::triage {
namespace {

using ktriage::testing::Shell;
using ktriage::testing::TempDir;
using ktriage::testing::Write;

// Text that differs along its length, so a misplaced byte shows.
std::string Text(size_t size, int seed) {
  std::string s;
  s.reserve(size);
  for (size_t i = 0; s.size() < size; ++i) s += "line " + std::to_string(seed) + "." + std::to_string(i) + " of a log\n";
  s.resize(size);
  return s;
}

struct OpenArchive {
  InputLimits limits;
  ExpansionBudget budget;
  ScopedFd fd;
  std::unique_ptr<FileByteSource> source;
  std::unique_ptr<ArchiveReader> reader;

  explicit OpenArchive(const std::filesystem::path& path) {
    budget.limits = &limits;
    budget.input = path.string();
    fd = ScopedFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    source = std::make_unique<FileByteSource>(fd.get(), path.string());
    auto r = ArchiveReader::Open(*source, path.string(), 1, budget, nullptr);
    if (r) reader = std::move(*r);
  }
};

TEST(ArchiveReaderTest, MembersWholeInABlockAreSharedNotCopied) {
  TempDir dir;
  std::vector<std::string> contents;
  for (int i = 0; i < 40; ++i) {
    contents.push_back(Text(20'000 + 977 * static_cast<size_t>(i), i));
    Write(dir.path() / "in" / ("m" + std::to_string(100 + i) + ".log"), contents.back());
  }
  Shell(dir.path(), "tar -C in -czf a.tar.gz .");
  OpenArchive a(dir.path() / "a.tar.gz");
  ASSERT_NE(a.reader, nullptr);
  std::map<std::string, std::string> got;
  std::vector<SharedBytes> held;  // held like members waiting for a worker
  size_t shared = 0;
  for (;;) {
    ArchiveMember m;
    Result<bool> has = a.reader->Next(m);
    ASSERT_TRUE(has.ok()) << has.error().message;
    if (!*has) break;
    if (!m.regular) continue;
    Result<SharedBytes> first = a.reader->ReadChunk(SIZE_MAX);
    ASSERT_TRUE(first.ok()) << first.error().message;
    std::string bytes(first->bytes);
    if (first->owner && m.size && first->bytes.size() == *m.size) ++shared;
    if (first->owner) held.push_back(*first);
    for (;;) {
      Result<SharedBytes> more = a.reader->ReadChunk(SIZE_MAX);
      ASSERT_TRUE(more.ok()) << more.error().message;
      if (more->bytes.empty()) break;
      bytes += more->bytes;
    }
    got[m.raw_name] = bytes;
  }
  ASSERT_EQ(got.size(), contents.size());
  for (int i = 0; i < 40; ++i) EXPECT_EQ(got["./m" + std::to_string(100 + i) + ".log"], contents[static_cast<size_t>(i)]) << i;
  // 1.3 MB of members in 4 MiB blocks: at most one straddles each block boundary.
  EXPECT_GE(shared, 38u);
  // The held slices still read as their members after everything else was read.
  for (const SharedBytes& c : held) {
    const std::string text(c.bytes.substr(0, 20));
    EXPECT_EQ(text.rfind("line ", 0), 0u) << text;
  }
}

TEST(ArchiveReaderTest, ChunksAndCopiesMixWithoutLosingAByte) {
  TempDir dir;
  const std::string content = Text(3'000'000, 7);
  Write(dir.path() / "in" / "big.log", content);
  Write(dir.path() / "in" / "small.log", Text(1000, 8));
  Shell(dir.path(), "tar -C in -czf a.tar.gz big.log small.log");
  OpenArchive a(dir.path() / "a.tar.gz");
  ASSERT_NE(a.reader, nullptr);
  ArchiveMember m;
  ASSERT_TRUE(*a.reader->Next(m));
  ASSERT_EQ(m.raw_name, "big.log");
  std::string bytes;
  std::vector<char> buffer(7919);
  for (int turn = 0;; ++turn) {
    if (turn % 2 == 0) {
      Result<SharedBytes> c = a.reader->ReadChunk(5003);
      ASSERT_TRUE(c.ok()) << c.error().message;
      if (c->bytes.empty()) break;
      EXPECT_LE(c->bytes.size(), 5003u);
      bytes += c->bytes;
    } else {
      Result<size_t> n = a.reader->ReadData(buffer.data(), buffer.size());
      ASSERT_TRUE(n.ok()) << n.error().message;
      if (*n == 0) break;
      bytes.append(buffer.data(), *n);
    }
  }
  EXPECT_EQ(bytes.size(), content.size());
  EXPECT_TRUE(bytes == content);
  ASSERT_TRUE(*a.reader->Next(m));
  EXPECT_EQ(m.raw_name, "small.log");
  Result<size_t> n = a.reader->ReadData(buffer.data(), buffer.size());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buffer.data(), *n), Text(1000, 8));
}

TEST(ArchiveReaderTest, HolesOfSparseMembersReadAsZeros) {
  TempDir dir;
  // 2 MiB of hole between two stretches of text: GNU tar stores it as a sparse member.
  Write(dir.path() / "in" / "head.txt", Text(10'000, 1));
  Write(dir.path() / "in" / "tail.txt", Text(10'000, 2));
  Shell(dir.path(),
        "cp in/head.txt sparse.log && truncate -s $((10000 + 2097152)) sparse.log && cat in/tail.txt >> sparse.log && "
        "tar --sparse --format=gnu -czf a.tar.gz sparse.log");
  OpenArchive a(dir.path() / "a.tar.gz");
  ASSERT_NE(a.reader, nullptr);
  ArchiveMember m;
  ASSERT_TRUE(*a.reader->Next(m));
  std::string bytes;
  std::vector<char> buffer(65536);
  for (;;) {
    Result<size_t> n = a.reader->ReadData(buffer.data(), buffer.size());
    ASSERT_TRUE(n.ok()) << n.error().message;
    if (*n == 0) break;
    bytes.append(buffer.data(), *n);
  }
  ASSERT_EQ(bytes.size(), 10'000u + 2'097'152u + 10'000u);
  EXPECT_EQ(bytes.substr(0, 10'000), Text(10'000, 1));
  EXPECT_EQ(bytes.find_first_not_of('\0', 10'000), 10'000u + 2'097'152u);
  EXPECT_EQ(bytes.substr(10'000 + 2'097'152), Text(10'000, 2));
}

}  // namespace
}  // namespace ktriage::triage
