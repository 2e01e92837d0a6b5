// GzipSource against the real gzip(1): the same bytes out for single and concatenated members,
// any input chunking; truncated and corrupt streams fail with the reason; non-gzip passes through.
#include "analyzer/ingest/gzip_source.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/ingest/ingest_test_util.h"

namespace ktriage::testing {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// gzip(1) -c of `data`, run for real.
std::string Gzip(const TempDir& dir, const std::string& data, const std::string& flags = "") {
  const std::string in = dir.Write("plain", data), out = dir.Path("plain.gz");
  const std::string cmd = "gzip -c " + flags + " '" + in + "' > '" + out + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return Slurp(out);
}

struct Inflated {
  std::string bytes;
  std::optional<std::string> error;
};

Inflated InflateAll(InputSource& inner, size_t out_step = 65536) {
  GzipSource gz(inner);
  Inflated r;
  std::string buffer(out_step, '\0');
  for (;;) {
    Result<size_t> got = gz.Read(buffer.data(), buffer.size());
    if (!got) {
      r.error = got.error().message;
      break;
    }
    if (*got == 0) break;
    r.bytes.append(buffer.data(), *got);
  }
  return r;
}

std::string CorpusLog() {
  return Slurp(std::filesystem::path(KTRIAGE_SOURCE_DIR) / "corpora/console/debian-6.1-qemu/veth-softlockup.log");
}

TEST(GzipSource, SameBytesAsGzipWhateverTheChunking) {
  TempDir dir;
  const std::string plain = CorpusLog();
  ASSERT_GT(plain.size(), 10000u);
  const std::string gz = Gzip(dir, plain, "-9");
  for (size_t step : {size_t{1}, size_t{7}, size_t{4096}, gz.size()}) {
    TrickleInput in(gz, step);
    Inflated r = InflateAll(in, step == 1 ? 3 : 65536);
    EXPECT_FALSE(r.error) << *r.error;
    EXPECT_EQ(r.bytes, plain) << "input step " << step;
  }
}

TEST(GzipSource, ConcatenatedMembersAndTrailingZeros) {
  TempDir dir;
  const std::string a = CorpusLog(), b = "second member\n";
  const std::string both = Gzip(dir, a) + Gzip(dir, b) + std::string(512, '\0');  // tape padding
  TrickleInput in(both, 1000);
  Inflated r = InflateAll(in);
  EXPECT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.bytes, a + b);
}

TEST(GzipSource, TruncatedAndCorruptStreamsSayWhy) {
  TempDir dir;
  const std::string plain = CorpusLog();
  const std::string gz = Gzip(dir, plain);
  {
    TrickleInput in(std::string_view(gz).substr(0, gz.size() / 2), 4096);
    Inflated r = InflateAll(in);
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("truncated gzip stream"), std::string::npos) << *r.error;
    EXPECT_EQ(r.bytes, plain.substr(0, r.bytes.size()));  // what came out before is right
  }
  {
    std::string bad = gz;
    bad[bad.size() - 6] ^= 0x55;  // the CRC32 of the trailer
    TrickleInput in(bad, 4096);
    Inflated r = InflateAll(in);
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("CRC mismatch"), std::string::npos) << *r.error;
  }
  {
    std::string bad = gz;
    for (size_t i = 40; i < 80; ++i) bad[i] = static_cast<char>(0xff);  // the deflate stream itself
    TrickleInput in(bad, 4096);
    Inflated r = InflateAll(in);
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("corrupt gzip data"), std::string::npos) << *r.error;
  }
  {
    FailingInput in(std::string_view(gz).substr(0, 100));
    Inflated r = InflateAll(in);
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("Input/output error"), std::string::npos) << *r.error;
  }
}

TEST(GzipSource, NotGzipPassesThrough) {
  for (std::string data : {std::string(), std::string("\x1f"), std::string("\x1f\x8b"), CorpusLog()}) {
    TrickleInput in(data, 3);
    GzipSource gz(in);
    std::string out, buffer(10, '\0');
    for (;;) {
      Result<size_t> got = gz.Read(buffer.data(), buffer.size());
      ASSERT_TRUE(got);
      if (*got == 0) break;
      out.append(buffer.data(), *got);
    }
    EXPECT_EQ(out, data);
    EXPECT_FALSE(gz.gzip());
    EXPECT_EQ(gz.consumed(), data.size());
  }
}

}  // namespace
}  // namespace ktriage::testing
