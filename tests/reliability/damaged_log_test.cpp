// Damaged logs: real reports cut at every line, CRLF, NUL bytes, Latin-1 and UTF-16 bytes, a
// 10 MB line, nothing but garbage. Each is analysed in bounded time and memory, and no report
// holds a frame or a line that is not in its input.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "analyzer/ingest/input_source.h"
#include "analyzer/report/log_analysis.h"
#include "tests/reliability/reliability_util.h"
#include "tests/triage/triage_test_util.h"

namespace ktriage::testing {
namespace {

const LogAnalyzer& Analyzer() {
  static const std::shared_ptr<const LogAnalyzer> analyzer = [] {
    auto a = LogAnalyzer::Create();
    if (!a.ok()) std::abort();
    return *a;
  }();
  return *analyzer;
}

LogAnalysisResult Analyze(std::string_view text, const std::string& name = "damaged.log") {
  auto source = MemoryInput(text, name);
  return Analyzer().Analyze(*source);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size() - 1;
    lines.push_back(text.substr(at, nl + 1 - at));
    at = nl + 1;
  }
  return lines;
}

// Nothing invented: each report lies within the input's lines, each of its lines and frames is
// text of the input.
void ExpectReportsFromInput(const LogAnalysis& a, std::string_view input, uint64_t input_lines, const std::string& what) {
  // Hostile inputs repeat the same lines thousands of times: search each distinct one once.
  std::set<std::string, std::less<>> found;
  auto in_input = [&](const std::string& s) {
    if (found.count(s) != 0) return true;
    if (input.find(s) == std::string_view::npos) return false;
    found.insert(s);
    return true;
  };
  for (const CrashReport& r : a.reports) {
    EXPECT_GE(r.line_start, 1u) << what;
    EXPECT_LE(r.line_start, r.line_end) << what;
    EXPECT_LE(r.line_end, input_lines) << what << ": " << r.title;
    for (const std::string& line : r.text) {
      EXPECT_TRUE(in_input(line)) << what << ": line not in the input: '" << line << "'";
    }
    for (const Frame& f : r.frames) {
      EXPECT_TRUE(in_input(f.function)) << what << ": frame not in the input: " << f.function;
    }
  }
}

// Every prefix of a real log, cut after each line (and once in the middle of each line): no
// crash, nothing invented, and the report count grows with the input.
class CutLog : public ::testing::TestWithParam<std::string> {};

TEST_P(CutLog, EveryPrefixIsAnalysedWithoutInventing) {
  const std::string full = ReadAll(std::string(KTRIAGE_SOURCE_DIR) + "/" + GetParam());
  ASSERT_FALSE(full.empty());
  const std::vector<std::string> lines = Lines(full);
  const size_t full_reports = Analyze(full).analysis.reports.size();
  ASSERT_GT(full_reports, 0u);
  const auto start = std::chrono::steady_clock::now();
  std::string prefix;
  size_t previous = 0, drops = 0, max_reports = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    // Cut in the middle of line i + 1 first: a line without its end.
    const std::string half = prefix + lines[i].substr(0, lines[i].size() / 2);
    LogAnalysisResult cut = Analyze(half);
    EXPECT_FALSE(cut.error) << cut.error->message;
    ExpectReportsFromInput(cut.analysis, half, i + 1, "cut inside line " + std::to_string(i + 1));

    prefix += lines[i];
    LogAnalysisResult r = Analyze(prefix);
    EXPECT_FALSE(r.error);
    EXPECT_EQ(r.analysis.stats.lines, i + 1);
    ExpectReportsFromInput(r.analysis, prefix, i + 1, "cut after line " + std::to_string(i + 1));
    const size_t n = r.analysis.reports.size();
    // One more line may end a report or start one, and may join a cut report to the one it
    // belongs to; it never takes away more than that one.
    EXPECT_GE(n + 1, previous) << "cut after line " << i + 1;
    if (n < previous) ++drops;
    previous = n;
    max_reports = std::max(max_reports, n);
  }
  EXPECT_EQ(previous, full_reports);
  // A cut report is still one report: never more than one beyond the whole log's count.
  EXPECT_LE(max_reports, full_reports + 1);
  const double seconds = SecondsSince(start);
  std::printf("[ damaged  ] %s cut at each of %zu lines (and inside each): %.2f s, %zu reports at the end, "
              "%zu one-line drops\n",
              GetParam().c_str(), lines.size(), seconds, full_reports, drops);
  EXPECT_LT(seconds, 120);
}

INSTANTIATE_TEST_SUITE_P(Logs, CutLog,
                         ::testing::Values("corpora/samples/veth-softlockup.log",
                                           "corpora/console/debian-6.1-qemu/null-deref.log",
                                           "corpora/console/debian-6.1-qemu/warn.log"),
                         [](const auto& info) {
                           std::string name = fs::path(info.param).stem().string();
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

std::vector<std::string> Titles(const LogAnalysis& a) {
  std::vector<std::string> titles;
  for (const auto& r : a.reports) titles.push_back(r.title);
  return titles;
}

const char kVeth[] = KTRIAGE_SOURCE_DIR "/corpora/samples/veth-softlockup.log";

// Line ends and encodings that do not change what the kernel said give the same reports.
TEST(DamagedLog, CrlfAndLatin1GiveTheSameReports) {
  const std::string lf = ReadAll(kVeth);
  const LogAnalysis want = Analyze(lf).analysis;
  ASSERT_FALSE(want.reports.empty());

  std::string crlf, cr_only, latin1;
  for (char c : lf) {
    if (c == '\n') {
      crlf += "\r\n";
      cr_only += "\r\r\n";  // a doubled \r, as some serial consoles write
    } else {
      crlf += c;
      cr_only += c;
    }
  }
  // Latin-1 and stray UTF-8 continuation bytes at the end of every 7th line outside the reports
  // (a driver's message or a hostname in another encoding). Inside a report they would change
  // what the kernel printed: a frame line with trailing bytes is no frame.
  const std::vector<std::string> lines = Lines(lf);
  auto in_report = [&](size_t number) {
    for (const CrashReport& r : want.reports)
      if (number >= r.line_start && number <= r.line_end) return true;
    return false;
  };
  size_t touched = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string l = lines[i];
    if (i % 7 == 3 && !in_report(i + 1) && !l.empty() && l.back() == '\n') {
      l.insert(l.size() - 1, " caf\xe9 \xff\xfe \x80\xbf");
      ++touched;
    }
    latin1 += l;
  }
  ASSERT_GT(touched, 20u);
  for (const auto& [what, text] : {std::pair{"CRLF", crlf}, {"CR CR LF", cr_only}, {"Latin-1", latin1}}) {
    SCOPED_TRACE(what);
    const LogAnalysisResult got = Analyze(text);
    EXPECT_FALSE(got.error);
    EXPECT_EQ(Titles(got.analysis), Titles(want));
    ASSERT_EQ(got.analysis.reports.size(), want.reports.size());
    for (size_t i = 0; i < want.reports.size(); ++i) {
      EXPECT_EQ(got.analysis.reports[i].frames.size(), want.reports[i].frames.size()) << want.reports[i].title;
      EXPECT_EQ(got.analysis.reports[i].signature, want.reports[i].signature) << want.reports[i].title;
    }
    ExpectReportsFromInput(got.analysis, text, got.analysis.stats.lines, what);
  }
}

// NUL bytes and UTF-16: counted or unreadable, never a crash, never an invented report.
TEST(DamagedLog, NulBytesAndUtf16) {
  const std::string lf = ReadAll(kVeth);
  // A NUL in every 5th line, and a run of 4 KiB of NULs (a file preallocated and never written,
  // as after a crash with a journaling file system).
  std::string nuls;
  const std::vector<std::string> lines = Lines(lf);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string l = lines[i];
    if (i % 5 == 0 && l.size() > 4) l[l.size() / 2] = '\0';
    nuls += l;
    if (i == lines.size() / 2) nuls += std::string(4096, '\0');
  }
  LogAnalysisResult got = Analyze(nuls);
  EXPECT_FALSE(got.error);
  EXPECT_GE(got.analysis.stats.nul_bytes, lines.size() / 5);
  EXPECT_FALSE(got.analysis.reports.empty()) << "the lines without NULs still carry the report";
  // NULs become some visible replacement; compare frames with the clean log.
  ExpectReportsFromInput(Analyze(lf).analysis, lf, lines.size(), "clean");
  for (const CrashReport& r : got.analysis.reports) {
    for (const Frame& f : r.frames) EXPECT_NE(lf.find(f.function), std::string::npos) << f.function;
  }

  // UTF-16LE with a BOM: every other byte is a NUL. Not a kernel log any reader here decodes;
  // what matters is that it is read to its end without a crash and invents nothing.
  std::string utf16 = "\xff\xfe";
  for (char c : lf) {
    utf16 += c;
    utf16 += '\0';
  }
  got = Analyze(utf16);
  EXPECT_FALSE(got.error);
  EXPECT_EQ(got.analysis.stats.bytes, utf16.size());
  for (const CrashReport& r : got.analysis.reports) {
    for (const Frame& f : r.frames) EXPECT_NE(lf.find(f.function), std::string::npos) << f.function;
  }
  std::printf("[ damaged  ] NULs: %zu reports, %llu NUL bytes; UTF-16LE: %zu reports in %llu lines\n",
              Analyze(nuls).analysis.reports.size(), static_cast<unsigned long long>(Analyze(nuls).analysis.stats.nul_bytes),
              got.analysis.reports.size(), static_cast<unsigned long long>(got.analysis.stats.lines));
}

// A 10 MB line inside a report: cut at the line limit and counted, the report around it still
// found, in bounded time and memory (measured in a child process: its peak resident set).
TEST(DamagedLog, TenMegabyteLineCostsBoundedMemory) {
  Scratch scratch;
  const std::vector<std::string> lines = Lines(ReadAll(kVeth));
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    text += lines[i];
    // Within the soft lockup report, after its first lines.
    if (i == 420) text += "[ 5256.600000] " + std::string(10 << 20, 'x') + "\n";
  }
  const fs::path big = scratch.path() / "long-line.log";
  WriteAll(big, text);
  const fs::path small = scratch.path() / "plain.log";
  WriteAll(small, ReadAll(kVeth));
  text.clear();
  text.shrink_to_fit();

  auto run = [](const fs::path& path) {
    return [path] {
      const CliOutcome o = RunKtriage({"analyze", "--format", "json", "--no-symbols", path.string()});
      if (o.code != cli::kExitOk) return false;
      auto doc = nlohmann::json::parse(o.out);
      const auto& input = doc["inputs"][0];
      // The report is still there, and the long line (if any) was counted as cut.
      const int cut = path.filename() == "plain.log" ? 0 : 1;
      return !input["reports"].empty() && input["stats"]["truncated_lines"].get<int>() == cut;
    };
  };
  const long base = CurrentRssKiB();
  const auto start = std::chrono::steady_clock::now();
  const long plain_peak = PeakRssKiBOfChild(run(small));
  const double plain_seconds = SecondsSince(start);
  const auto start_big = std::chrono::steady_clock::now();
  const long big_peak = PeakRssKiBOfChild(run(big));
  const double big_seconds = SecondsSince(start_big);
  ASSERT_GT(plain_peak, 0) << "the plain log failed";
  ASSERT_GT(big_peak, 0) << "the 10 MB line log failed, or lost its report, or did not count the cut line";
  std::printf("[ damaged  ] 10 MB line: peak RSS %ld KiB (plain log %ld KiB, parent %ld KiB), %.2f s (plain %.2f s)\n",
              big_peak, plain_peak, base, big_seconds, plain_seconds);
  // The line reader keeps at most max_line_bytes (64 KiB) of a line and reads in 1 MiB chunks:
  // the long line may cost a few chunks, never its 10 MB.
  EXPECT_LT(big_peak - plain_peak, 8 * 1024) << "KiB more than the same log without the long line";
  EXPECT_LT(big_seconds, 30);
}

// Report headers without stacks cost linear time: the segmenter once kept every such report open
// and routed each line among all of them (4 MiB took 26 times as long as 1 MiB).
TEST(DamagedLog, ReportKeywordsCostLinearTime) {
  static const char* kWords[] = {"BUG:", "RIP:", "Call Trace:", "<TASK>", "WARNING:", "CPU:", "? ", "+0x1a/0x30",
                                 "Kernel panic - not syncing:", "[", "]", "\n", "\n", "\n", "12.345678"};
  auto salad = [](size_t bytes) {
    Rng rng(5);
    std::string words;
    while (words.size() < bytes) words += std::string(kWords[rng.Below(std::size(kWords))]) + " ";
    return words;
  };
  auto best_of_two = [](const std::string& text) {
    double best = 1e9;
    for (int i = 0; i < 2; ++i) {
      const auto start = std::chrono::steady_clock::now();
      Analyze(text);
      best = std::min(best, SecondsSince(start));
    }
    return best;
  };
  const double one = best_of_two(salad(1 << 20));
  const double four = best_of_two(salad(4 << 20));
  std::printf("[ damaged  ] report keywords: 1 MiB %.2f s, 4 MiB %.2f s (%.1fx)\n", one, four, four / one);
  // Linear is 4x; allow for a noisy shared machine, not for 16x.
  EXPECT_LT(four, 9 * one + 0.5);
}

// Nothing but garbage, and a log among bad inputs: each input gets its verdict, the run goes on.
TEST(DamagedLog, GarbageAndBadInputsAmongGoodOnes) {
  Scratch scratch;
  Rng rng(11);
  std::string garbage(4 << 20, '\0');
  for (char& c : garbage) c = static_cast<char>(rng.Next());
  const fs::path noise = scratch.path() / "garbage.log";
  WriteAll(noise, garbage);
  // Printable garbage that looks like log lines: timestamps and "BUG:"/"RIP:" words in random order.
  static const char* kWords[] = {"BUG:", "RIP:", "Call Trace:", "<TASK>", "</TASK>", "WARNING:", "CPU:",
                                 "? ", "+0x1a/0x30", "---[ end trace", "Kernel panic - not syncing:", "[", "]",
                                 "Modules linked in:", "\n", "\n", "\n", "12.345678"};
  std::string words;
  while (words.size() < (2 << 20)) words += std::string(kWords[rng.Below(std::size(kWords))]) + " ";
  const fs::path wordy = scratch.path() / "words.log";
  WriteAll(wordy, words);
  const fs::path missing = scratch.path() / "absent.log";
  const auto start = std::chrono::steady_clock::now();
  const CliOutcome o = RunKtriage({"analyze", "--format", "json", "--no-symbols", noise.string(), kVeth,
                                   wordy.string(), missing.string(), scratch.path().string()});
  const double seconds = SecondsSince(start);
  EXPECT_EQ(o.code, cli::kExitInputError);
  // One line per input that could not be read, naming it; none for those that could.
  EXPECT_NE(o.err.find("ktriage: " + missing.string() + ": "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("ktriage: " + scratch.path().string() + ": "), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find(noise.string()), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find(wordy.string()), std::string::npos) << o.err;
  auto doc = nlohmann::json::parse(o.out);
  ASSERT_EQ(doc["inputs"].size(), 5u);
  EXPECT_TRUE(doc["inputs"][0]["reports"].empty()) << "random bytes hold no report";
  EXPECT_FALSE(doc["inputs"][1]["reports"].empty()) << "the good log after the garbage is analysed";
  EXPECT_FALSE(doc["inputs"][3]["errors"].empty());
  // Whatever the word salad yields comes from it (the first 500 reports: checking each line of
  // all ten thousand against 2 MiB would take the test longer than the analysis).
  LogAnalysisResult salad = Analyze(words);
  const size_t salad_reports = salad.analysis.reports.size();
  if (salad.analysis.reports.size() > 500) salad.analysis.reports.resize(500);
  ExpectReportsFromInput(salad.analysis, words, salad.analysis.stats.lines, "word salad");
  std::printf("[ damaged  ] 4 MiB of random bytes, 2 MiB of report words (%zu reports), a good log, two bad "
              "paths: %.2f s\n",
              salad_reports, seconds);
  EXPECT_LT(seconds, 60);
}

}  // namespace
}  // namespace ktriage::testing
