// InputSource: compressed inputs made here by the real gzip/xz/zstd/bzip2/lz4 tools, truncated
// streams, empty files, stdin, and the errors a person must be able to act on.
#include "analyzer/ingest/input_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "ingest_test_util.h"

namespace ktriage {
namespace {

using testing::ReadAll;
using testing::TempDir;

bool HaveTool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs a shell command on paths made by the test (no user input reaches it).
void RunShell(const std::string& command) {
  int rc = std::system(command.c_str());
  ASSERT_EQ(rc, 0) << command;
}

// Kernel-message lines with pseudo-random hex so that compressed files stay large enough to
// cut. No transport prefix: such lines decode to themselves, so decoded texts compare with the
// file's lines, and a line cut short is a prefix of the original.
std::string MakeLog(size_t lines) {
  std::mt19937_64 rng(42);
  std::string out;
  char buf[160];
  for (size_t i = 0; i < lines; ++i) {
    unsigned long long a = rng(), b = rng();
    std::snprintf(buf, sizeof buf, "veth%zu: netdev_pick_tx+0x27c/0x294 line %zu %016llx %016llx\n",
                  i % 7, i, a, b);
    out += buf;
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& data) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    out.push_back(data.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::vector<std::string> RawLines(const std::string& path, std::optional<Error>* error = nullptr,
                                  std::string* compression = nullptr) {
  auto source = OpenInputFile(path);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  if (!source.ok()) return {};
  if (compression != nullptr) *compression = std::string((*source)->compression());
  // Plain text lines with no prefix decode to themselves, so texts compare with the file.
  auto r = ReadAll(**source);
  if (error != nullptr) *error = r.error;
  std::vector<std::string> out;
  for (const auto& l : r.lines) out.push_back(l.text);
  return out;
}

struct Codec {
  const char* tool;
  const char* command;  // compresses {in} to {out}
  const char* name;     // what compression() must say
};

const Codec kCodecs[] = {
    {"gzip", "gzip -c -- '{in}' > '{out}'", "gzip"},
    {"xz", "xz -1 -c -T1 -- '{in}' > '{out}'", "xz"},
    {"zstd", "zstd -q -c -- '{in}' > '{out}'", "zstd"},
    {"bzip2", "bzip2 -c -- '{in}' > '{out}'", "bzip2"},
    {"lzma", "lzma -1 -c -- '{in}' > '{out}'", "lzma"},
    {"lz4", "lz4 -q -c -- '{in}' > '{out}'", "lz4"},
};

std::string Expand(std::string command, const std::string& in, const std::string& out) {
  command.replace(command.find("{in}"), 4, in);
  command.replace(command.find("{out}"), 5, out);
  return command;
}

TEST(InputSource, PlainFile) {
  TempDir dir;
  std::string data = MakeLog(1000);
  std::string path = dir.Write("dmesg.txt", data);
  std::string compression;
  std::optional<Error> error;
  auto texts = RawLines(path, &error, &compression);
  EXPECT_EQ(compression, "none");
  EXPECT_FALSE(error);
  EXPECT_EQ(texts, SplitLines(data));
}

TEST(InputSource, CompressedFilesDecodeToThePlainLines) {
  TempDir dir;
  std::string data = MakeLog(20000);
  std::string plain = dir.Write("dmesg.txt", data);
  std::vector<std::string> want = RawLines(plain);
  ASSERT_EQ(want.size(), 20000u);
  for (const Codec& c : kCodecs) {
    SCOPED_TRACE(c.name);
    bool required = std::string(c.name) != "lz4";  // lz4 is optional on a build machine
    if (!HaveTool(c.tool)) {
      EXPECT_FALSE(required) << c.tool << " not installed (scripts/debian-packages.txt)";
      continue;
    }
    // A neutral name: detection must be by content, not by extension.
    std::string out = dir.Path(std::string("compressed-") + c.name + ".log");
    RunShell(Expand(c.command, plain, out));
    std::string compression;
    std::optional<Error> error;
    auto got = RawLines(out, &error, &compression);
    EXPECT_EQ(compression, c.name);
    EXPECT_FALSE(error) << (error ? error->message : "");
    EXPECT_EQ(got, want);
  }
}

void ExpectTruncatedStreamReportsError(const char* tool, const char* command) {
  ASSERT_TRUE(HaveTool(tool));
  TempDir dir;
  std::string data = MakeLog(60000);  // ~5 MB; compressed well over 1 MB
  std::string plain = dir.Write("dmesg.txt", data);
  std::vector<std::string> all = SplitLines(data);
  std::string path = dir.Path(std::string("cut.") + tool);
  RunShell(Expand(command, plain, path));
  auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);

  std::optional<Error> error;
  auto got = RawLines(path, &error);
  ASSERT_TRUE(error) << "a truncated " << tool << " stream must be reported";
  EXPECT_NE(error->message.find(path), std::string::npos) << error->message;
  EXPECT_EQ(error->message.find('\n'), std::string::npos) << "one line";
  // The lines before the cut came through (libarchive may hold back its last partial 64 KiB
  // block), and they are the file's lines: complete ones equal, the last one a prefix.
  ASSERT_GT(got.size(), all.size() / 10);
  ASSERT_LT(got.size(), all.size());
  for (size_t i = 0; i + 1 < got.size(); ++i) ASSERT_EQ(got[i], all[i]) << i;
  EXPECT_EQ(all[got.size() - 1].rfind(got.back(), 0), 0u);
}

TEST(InputSource, TruncatedGzip) { ExpectTruncatedStreamReportsError("gzip", kCodecs[0].command); }
TEST(InputSource, TruncatedXz) { ExpectTruncatedStreamReportsError("xz", kCodecs[1].command); }

TEST(InputSource, SmallTruncatedGzipIsAnErrorFromRead) {
  TempDir dir;
  std::string plain = dir.Write("small.txt", "[    1.000000] only line\n");
  std::string path = dir.Path("small.gz");
  RunShell(Expand(kCodecs[0].command, plain, path));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 6);
  auto source = OpenInputFile(path);
  ASSERT_TRUE(source.ok()) << "content errors are reported by Read, like any other";
  auto r = ReadAll(**source);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find(path), std::string::npos) << r.error->message;
}

TEST(InputSource, CorruptGzip) {
  TempDir dir;
  std::string path = dir.Write("bad.gz", std::string("\x1f\x8b\x08\x00garbage that is not deflate data", 36));
  auto source = OpenInputFile(path);
  ASSERT_TRUE(source.ok());
  auto r = ReadAll(**source);
  EXPECT_TRUE(r.lines.empty());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find(path), std::string::npos) << r.error->message;
}

TEST(InputSource, EmptyFiles) {
  TempDir dir;
  std::string empty = dir.Write("empty.log", "");
  std::optional<Error> error;
  std::string compression;
  EXPECT_TRUE(RawLines(empty, &error, &compression).empty());
  EXPECT_FALSE(error);
  EXPECT_EQ(compression, "none");

  std::string gz = dir.Path("empty.gz");
  RunShell(Expand(kCodecs[0].command, empty, gz));
  EXPECT_TRUE(RawLines(gz, &error, &compression).empty());
  EXPECT_FALSE(error) << (error ? error->message : "");
  EXPECT_EQ(compression, "gzip");
}

TEST(InputSource, MissingFile) {
  TempDir dir;
  std::string path = dir.Path("no-such-file.log");
  auto source = OpenInputFile(path);
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().message.find(path), std::string::npos);
  EXPECT_NE(source.error().message.find("No such file"), std::string::npos) << source.error().message;
}

TEST(InputSource, Directory) {
  TempDir dir;
  std::filesystem::create_directories(dir.Path("logs"));
  auto source = OpenInputFile(dir.Path("logs"));
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().message.find(dir.Path("logs")), std::string::npos);
  EXPECT_NE(source.error().message.find("directory"), std::string::npos) << source.error().message;
}

TEST(InputSource, PermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can read any file";
  TempDir dir;
  std::string path = dir.Write("secret.log", "x\n");
  std::filesystem::permissions(path, std::filesystem::perms::none);
  auto source = OpenInputFile(path);
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().message.find(path), std::string::npos);
  EXPECT_NE(source.error().message.find("Permission denied"), std::string::npos);
}

TEST(InputSource, StandardInput) {
  TempDir dir;
  std::string data = MakeLog(500);
  std::string plain = dir.Write("dmesg.txt", data);
  std::string gz = dir.Path("dmesg.gz");
  RunShell(Expand(kCodecs[0].command, plain, gz));

  int saved = ::dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  int fd = ::open(gz.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, STDIN_FILENO), STDIN_FILENO);
  ::close(fd);
  auto source = OpenInputFile("-");
  std::vector<std::string> texts;
  std::string compression, name;
  if (source.ok()) {
    compression = std::string((*source)->compression());
    name = (*source)->name();
    for (const auto& l : ReadAll(**source).lines) texts.push_back(l.text);
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(name, "<stdin>");
  EXPECT_EQ(compression, "gzip");
  EXPECT_EQ(texts, RawLines(plain));
}

TEST(InputSource, MemoryInput) {
  auto source = MemoryInput("[    1.000000] a\nb", "dump-log");
  EXPECT_EQ(source->name(), "dump-log");
  EXPECT_EQ(source->compression(), "none");
  char buf[4];
  auto n = source->Read(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  auto r = ReadAll(*source);
  EXPECT_EQ(r.texts(), (std::vector<std::string>{" 1.000000] a", "b"}));
}

}  // namespace
}  // namespace ktriage
