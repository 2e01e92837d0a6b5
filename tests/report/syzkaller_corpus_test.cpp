// Accuracy against syzkaller's report corpus: titles, "no crash" and corruption verdicts.
// The floors only rise: raise them when accuracy improves, never lower them to make a change pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "tests/report/corpus_util.h"

namespace ktriage::testing {
namespace {

struct SyzCase {
  std::string name;
  std::string title;  // "" = no crash expected
  std::vector<std::string> alt;
  bool corrupted = false;
  std::string log;
};

SyzCase ParseSyzFile(const std::filesystem::path& p) {
  SyzCase c;
  c.name = p.filename().string();
  std::string data = ReadFile(p);
  data.erase(std::remove(data.begin(), data.end(), '\r'), data.end());  // as syzkaller's harness does
  size_t pos = 0;
  // Header lines up to the first empty line.
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string line = data.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    if (line.rfind("TITLE: ", 0) == 0) c.title = line.substr(7);
    else if (line.rfind("ALT: ", 0) == 0) c.alt.push_back(line.substr(5));
    else if (line == "CORRUPTED: Y") c.corrupted = true;
  }
  std::string log = pos < data.size() ? data.substr(pos) : "";
  size_t rep = log.find("\n\nREPORT:\n");
  if (rep != std::string::npos) log = log.substr(0, rep + 2);
  c.log = log;
  return c;
}

TEST(SyzkallerCorpus, TitlesMatchSyzkaller) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() / "corpora/syzkaller-report"))
    if (e.is_regular_file() && e.path().filename().string().find_first_not_of("0123456789") == std::string::npos)
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 500u) << "corpus missing";

  const bool verbose = std::getenv("KTRIAGE_CORPUS_VERBOSE") != nullptr;
  // KTRIAGE_CORPUS_FILE=N dumps every report found in file N (for debugging a mismatch).
  if (const char* one = std::getenv("KTRIAGE_CORPUS_FILE")) {
    SyzCase c = ParseSyzFile(SourceDir() / "corpora/syzkaller-report" / one);
    for (const auto& r : AnalyzeText(c.log).reports) {
      std::printf("== %s [%s] corrupted=%s syz=%d lines %llu-%llu\n", r.title.c_str(), ReportKindName(r.kind),
                  r.corrupted_reason.c_str(), r.syzkaller_class, (unsigned long long)r.line_start,
                  (unsigned long long)r.line_end);
      for (const auto& l : r.text) std::printf("   | %s\n", l.c_str());
    }
  }
  int crash_files = 0, exact = 0, no_crash_files = 0, no_crash_ok = 0, corrupted_ok = 0, detected_ok = 0;
  for (const auto& f : files) {
    SyzCase c = ParseSyzFile(f);
    LogAnalysis a = AnalyzeText(c.log);
    const CrashReport* first = nullptr;
    for (const auto& r : a.reports)
      if (r.syzkaller_class) {
        first = &r;
        break;
      }
    const bool expect_crash = !c.title.empty();
    if ((first != nullptr) == expect_crash) ++detected_ok;
    if (!expect_crash) {
      ++no_crash_files;
      if (!first) ++no_crash_ok;
      else if (verbose) std::printf("FALSE %s: got '%s'\n", c.name.c_str(), first->title.c_str());
      continue;
    }
    ++crash_files;
    std::string got = first ? first->title : "";
    bool got_corrupted = first && first->corrupted;
    if (got == c.title) ++exact;
    else if (verbose) std::printf("TITLE %s: want '%s' got '%s'\n", c.name.c_str(), c.title.c_str(), got.c_str());
    if (first && got_corrupted == c.corrupted) ++corrupted_ok;
    else if (verbose && first)
      std::printf("CORRUPTED %s: want %d got %d (%s) title '%s'\n", c.name.c_str(), c.corrupted, got_corrupted,
                  first->corrupted_reason.c_str(), got.c_str());
  }
  const double title_rate = 100.0 * exact / crash_files;
  const double detect_rate = 100.0 * detected_ok / static_cast<double>(files.size());
  const double corrupted_rate = 100.0 * corrupted_ok / crash_files;
  std::printf("syzkaller corpus: %zu files; exact titles %d/%d (%.1f%%); crash/no-crash agreement %d/%zu (%.1f%%); "
              "no-crash files right %d/%d; corrupted verdict agreement %d/%d (%.1f%%)\n",
              files.size(), exact, crash_files, title_rate, detected_ok, files.size(), detect_rate, no_crash_ok,
              no_crash_files, corrupted_ok, crash_files, corrupted_rate);
  RecordProperty("exact_title_percent", std::to_string(title_rate));
  // Floors: raise when accuracy improves.
  EXPECT_GE(title_rate, 90.0);
  EXPECT_GE(detect_rate, 99.5);
  EXPECT_GE(corrupted_rate, 96.0);
}

}  // namespace
}  // namespace ktriage::testing
