// LineReader: line splitting (LF, CRLF, lone CR), NULs, over-long lines with bounded memory,
// statistics, the dominant format, mixed formats, and read errors mid-stream.
#include "analyzer/ingest/line_reader.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstring>

#include "ingest_test_util.h"

namespace ktriage {
namespace {

using testing::FailingInput;
using testing::ReadAll;
using testing::ReadString;
using testing::TrickleInput;
using Lines = std::vector<std::string>;

TEST(LineReader, LineEndings) {
  // LF, CRLF, a lone CR (serial console), LF CR (some terminals), CR CR LF, no final newline.
  const std::string data = "a\nb\r\nc\rd\n\re\r\r\nf";
  auto r = ReadString(data);
  EXPECT_EQ(r.texts(), (Lines{"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(r.stats.lines, 6u);
  EXPECT_EQ(r.stats.bytes, data.size());
  EXPECT_EQ(r.lines.back().number, 6u);
  EXPECT_FALSE(r.error);
}

TEST(LineReader, EmptyLinesAreLines) {
  auto r = ReadString("\n\n[    1.000000] x\n\r\n");
  EXPECT_EQ(r.texts(), (Lines{"", "", "x", ""}));
  EXPECT_EQ(r.lines[2].number, 3u);
}

TEST(LineReader, SameLinesWhateverTheReadSizes) {
  const std::string data =
      "[    1.000000] first\r\n[    2.000000][ T12] second\r\rthird\n\rfourth\r\n\r\nlast";
  const Lines want = {"first", "second", "third", "fourth", "", "last"};
  for (size_t step : {1, 2, 3, 5, 7, 64}) {
    TrickleInput source(data, step);
    auto r = ReadAll(source);
    EXPECT_EQ(r.texts(), want) << "step " << step;
    EXPECT_EQ(r.lines[1].caller, (Caller{Caller::Kind::kThread, 12})) << "step " << step;
  }
}

TEST(LineReader, NulBytesAreReplacedAndCounted) {
  // A crashed machine's log file often has a zero-filled block before the next boot's lines.
  using namespace std::string_literals;
  std::string data(5000, '\0');
  data += "[    1.000000] after zeros\nmid\0d\0e\n"s;
  auto r = ReadString(data);
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0].format, LogFormat::kDmesg);
  EXPECT_EQ(r.lines[0].text, "after zeros");
  EXPECT_EQ(r.lines[1].text, "mid d e");
  EXPECT_EQ(r.stats.nul_bytes, 5002u);
}

// Produces "[    1.000000] start\n", then `long_bytes` of 'x' (without holding them), then `tail`.
class LongLineInput final : public InputSource {
 public:
  LongLineInput(size_t long_bytes, std::string tail)
      : head_("[    1.000000] start\n"), long_bytes_(long_bytes), tail_(std::move(tail)) {}
  Result<size_t> Read(char* buffer, size_t size) override {
    size_t total = head_.size() + long_bytes_ + tail_.size();
    size_t n = 0;
    while (n < size && pos_ < total) {
      if (pos_ < head_.size()) {
        buffer[n] = head_[pos_];
      } else if (pos_ < head_.size() + long_bytes_) {
        size_t run = std::min(size - n, head_.size() + long_bytes_ - pos_);
        std::memset(buffer + n, 'x', run);
        n += run;
        pos_ += run;
        continue;
      } else {
        buffer[n] = tail_[pos_ - head_.size() - long_bytes_];
      }
      ++n;
      ++pos_;
    }
    return n;
  }
  const std::string& name() const override { return name_; }
  std::string_view compression() const override { return "none"; }

 private:
  std::string head_;
  size_t long_bytes_;
  std::string tail_;
  size_t pos_ = 0;
  std::string name_ = "<long>";
};

size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

TEST(LineReader, TenMegabyteLineIsCutWithBoundedMemory) {
  const size_t kLong = 10 * 1024 * 1024;
  LongLineInput source(kLong, "\r\n[    2.000000] after\n");
  LineReaderOptions options;
  LineReader reader(source, options);
  size_t baseline = HeapInUse();
  size_t peak = baseline;
  std::vector<std::string> texts;
  LogLine line;
  for (;;) {
    auto more = reader.Next(line);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    peak = std::max(peak, HeapInUse());
    texts.emplace_back(line.text);
  }
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[0], "start");
  EXPECT_EQ(texts[1], std::string(options.max_line_bytes, 'x'));
  EXPECT_EQ(texts[2], "after");
  EXPECT_EQ(reader.stats().lines, 3u);
  EXPECT_EQ(reader.stats().truncated_lines, 1u);
  EXPECT_EQ(reader.stats().bytes, 21 + kLong + 23);
  // The reader's buffer is allocated up front; reading a 10 MB line must not add to it.
  // (Under ASan mallinfo2 does not see the allocations and this checks nothing extra.)
  EXPECT_LT(peak - baseline, size_t{1} << 20);
}

TEST(LineReader, LongLineAtEndWithoutNewline) {
  LongLineInput source(3 * 1024 * 1024, "");
  auto r = ReadAll(source);
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[1].text.size(), LineReaderOptions{}.max_line_bytes);
  EXPECT_EQ(r.stats.truncated_lines, 1u);
}

TEST(LineReader, CutAtExactlyMaxLineBytes) {
  LineReaderOptions options;
  options.max_line_bytes = 10;
  auto r = ReadString("0123456789\n0123456789ABC\nxy\n0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", options);
  EXPECT_EQ(r.texts(), (Lines{"0123456789", "0123456789", "xy", "0123456789"}));
  EXPECT_EQ(r.stats.truncated_lines, 2u);
  EXPECT_EQ(r.stats.lines, 4u);

  // The same with the bytes arriving one at a time (the cut decided before the newline is seen).
  const std::string data = "0123456789\n0123456789ABC\r\nxy\n";
  TrickleInput source(data, 1);
  auto t = ReadAll(source, options);
  EXPECT_EQ(t.texts(), (Lines{"0123456789", "0123456789", "xy"}));
  EXPECT_EQ(t.stats.truncated_lines, 1u);
}

TEST(LineReader, StatsAndDominantFormat) {
  auto r = ReadString(
      "Nov 22 10:00:00 myhost systemd[1]: Starting foo\n"
      "Nov 22 10:00:00 myhost sshd[2]: Accepted publickey\n"
      "Nov 22 10:00:00 myhost cron[3]: job\n"
      "Nov 22 10:00:01 myhost kernel: [    1.000000] igb: link up\n"
      "Nov 22 10:00:02 myhost kernel: [    2.000000] igb: link down\n"
      "plain kernel continuation\n");
  EXPECT_EQ(r.stats.lines, 6u);
  EXPECT_EQ(r.stats.kernel_lines, 3u);
  EXPECT_EQ(r.dominant, LogFormat::kSyslog);

  EXPECT_EQ(ReadString("[    1.000000] a\n[    2.000000] b\nplain\n").dominant, LogFormat::kDmesg);
  EXPECT_EQ(ReadString("").dominant, LogFormat::kPlain);
  // No kernel line at all: the format of the lines there are.
  EXPECT_EQ(ReadString("Nov 22 10:00:00 h sshd[2]: a\nNov 22 10:00:00 h sshd[2]: b\n").dominant,
            LogFormat::kSyslog);
}

TEST(LineReader, MixedFormatsInOneFile) {
  auto r = ReadString(
      "[   10.000000] dmesg line\n"
      "6,100,11000000,-;kmsg line\n"
      " SUBSYSTEM=net\n"
      "Nov 22 10:00:00 myhost kernel: [   12.000000] syslog line\n"
      "<4>1 2026-11-22T10:00:00Z myhost kernel - - - rfc5424 line\n"
      R"({"_TRANSPORT":"kernel","MESSAGE":"json line","_SOURCE_MONOTONIC_TIMESTAMP":"13000000"})" "\n"
      "kern  :err   : [   14.000000] decoded line\n"
      "plain line\n");
  const std::vector<LogFormat> want = {LogFormat::kDmesg,       LogFormat::kKmsg,
                                       LogFormat::kKmsg,        LogFormat::kSyslog,
                                       LogFormat::kSyslog5424,  LogFormat::kJournalJson,
                                       LogFormat::kDmesgDecoded, LogFormat::kPlain};
  ASSERT_EQ(r.lines.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(r.lines[i].format, want[i]) << i << ": " << r.lines[i].text;
  EXPECT_EQ(r.texts(), (Lines{"dmesg line", "kmsg line", "SUBSYSTEM=net", "syslog line",
                              "rfc5424 line", "json line", "decoded line", "plain line"}));
  EXPECT_EQ(r.stats.kernel_lines, 7u);
  EXPECT_DOUBLE_EQ(*r.lines[5].timestamp, 13.0);
}

TEST(LineReader, ConsoleCaptureWithNoise) {
  std::string data;
  for (int i = 0; i < 10; ++i) data += "[    " + std::to_string(i) + ".100000] boot " + std::to_string(i) + "\r\n";
  data += "\x1b[1;32mroot@syzkaller:~# \x1b[0m./repro\r\n";
  data += "syzkaller login: [   16.305150] INFO: trying to register non-static key.\r\r\n";
  data += "\x1b[31m[   17.000000] BUG: KASAN: use-after-free in foo\x1b[0m\r\n";
  auto r = ReadString(data);
  ASSERT_EQ(r.lines.size(), 13u);
  EXPECT_FALSE(r.lines[10].kernel);
  EXPECT_EQ(r.lines[10].text, "root@syzkaller:~# ./repro");
  EXPECT_EQ(r.lines[11].text, "INFO: trying to register non-static key.");
  EXPECT_TRUE(r.lines[11].kernel);
  EXPECT_EQ(r.lines[12].text, "BUG: KASAN: use-after-free in foo");
  EXPECT_EQ(r.stats.kernel_lines, 12u);
  EXPECT_EQ(r.dominant, LogFormat::kDmesg);
}

TEST(LineReader, ReadErrorAfterTheLinesBeforeIt) {
  FailingInput source("[    1.000000] one\n[    2.000000] two\n[    3.000000] partial");
  auto r = ReadAll(source);
  EXPECT_EQ(r.texts(), (Lines{"one", "two", "partial"}));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("<failing>"), std::string::npos);
}

TEST(LineReader, ErrorIsSticky) {
  FailingInput source("x\n");
  LineReader reader(source);
  LogLine line;
  ASSERT_TRUE(reader.Next(line).ok());
  EXPECT_FALSE(reader.Next(line).ok());
  EXPECT_FALSE(reader.Next(line).ok());
}

TEST(LineReader, EmptyInput) {
  auto r = ReadString("");
  EXPECT_TRUE(r.lines.empty());
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.stats.lines, 0u);
  EXPECT_EQ(r.stats.bytes, 0u);
}

TEST(LineReader, ViewsStayValidUntilNextLine) {
  // The decoder's scratch buffer (ANSI clean-up) and the read buffer are both reused; a line's
  // text must still be intact when the caller looks at it.
  auto source = MemoryInput("\x1b[1m[    1.000000] bold\x1b[0m\nplain after\n");
  LineReader reader(*source);
  LogLine line;
  ASSERT_TRUE(*reader.Next(line));
  std::string first(line.text);
  EXPECT_EQ(first, "bold");
  ASSERT_TRUE(*reader.Next(line));
  EXPECT_EQ(line.text, "plain after");
}

}  // namespace
}  // namespace ktriage
