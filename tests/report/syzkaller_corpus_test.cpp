// Accuracy against syzkaller's report corpus: titles, "no crash" and corruption verdicts, measured
// on two fixed parts. Files whose number N has N % 4 == 1 are MEASURE-ONLY: their numbers are
// printed, their misses never are, so that a rule fitted to the files one reads shows up as a gap
// between the parts. The floors only rise: raise them when accuracy improves, never lower them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/report/corpus_util.h"

namespace ktriage::testing {
namespace {

struct SyzCase {
  std::string name;
  std::string title;  // "" = no crash expected
  std::string type;   // syzkaller's TYPE: header, "" when absent
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
    else if (line.rfind("TYPE: ", 0) == 0) c.type = line.substr(6);
    else if (line.rfind("ALT: ", 0) == 0) c.alt.push_back(line.substr(5));
    else if (line == "CORRUPTED: Y") c.corrupted = true;
  }
  std::string log = pos < data.size() ? data.substr(pos) : "";
  size_t rep = log.find("\n\nREPORT:\n");
  if (rep != std::string::npos) log = log.substr(0, rep + 2);
  c.log = log;
  return c;
}

bool MeasureOnly(const std::string& name) { return std::stoul(name) % 4 == 1; }

// The kind a file is tallied under: syzkaller's TYPE with the sanitizer's access details folded
// ("KASAN-USE-AFTER-FREE-READ" -> "KASAN"), else the title up to " in " (its variable part).
std::string KindOf(const SyzCase& c) {
  if (c.title.empty()) return "(no crash)";
  if (!c.type.empty()) {
    for (const char* san : {"KASAN", "KMSAN", "KFENCE", "KCSAN"})
      if (c.type.rfind(san, 0) == 0) return san;
    return c.type;
  }
  std::string k = c.title.substr(0, c.title.find(" in "));
  return "title: " + k.substr(0, 36);
}

struct Tally {
  int files = 0, crash_files = 0, exact = 0, no_crash_files = 0, no_crash_ok = 0, corrupted_ok = 0, detected_ok = 0;
  std::map<std::string, std::pair<int, int>> kinds;  // kind -> (files, exact or right no-crash)

  double Rate(int n, int d) const { return d ? 100.0 * n / d : 100.0; }
  double TitleRate() const { return Rate(exact, crash_files); }
  double DetectRate() const { return Rate(detected_ok, files); }
  double CorruptedRate() const { return Rate(corrupted_ok, crash_files); }

  void Print(const char* part) const {
    std::printf("syzkaller corpus [%s]: %d files; exact titles %d/%d (%.1f%%); crash/no-crash agreement %d/%d "
                "(%.1f%%); no-crash files right %d/%d; corrupted verdict agreement %d/%d (%.1f%%)\n",
                part, files, exact, crash_files, TitleRate(), detected_ok, files, DetectRate(), no_crash_ok,
                no_crash_files, corrupted_ok, crash_files, CorruptedRate());
    std::vector<std::pair<std::string, std::pair<int, int>>> rows(kinds.begin(), kinds.end());
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
    for (const auto& [kind, counts] : rows)
      std::printf("  [%s] %-46s %4d files  %5.1f%% exact\n", part, kind.c_str(), counts.first,
                  Rate(counts.second, counts.first));
  }
};

TEST(SyzkallerCorpus, TitlesMatchSyzkaller) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() / "corpora/syzkaller-report"))
    if (e.is_regular_file() && e.path().filename().string().find_first_not_of("0123456789") == std::string::npos)
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 500u) << "corpus missing";

  const bool verbose = std::getenv("KTRIAGE_CORPUS_VERBOSE") != nullptr;
  // KTRIAGE_CORPUS_FILE=N dumps every report found in development file N (for debugging a mismatch).
  if (const char* one = std::getenv("KTRIAGE_CORPUS_FILE")) {
    if (MeasureOnly(one)) {
      std::printf("file %s is measure-only: not shown\n", one);
    } else {
      SyzCase c = ParseSyzFile(SourceDir() / "corpora/syzkaller-report" / one);
      for (const auto& r : AnalyzeText(c.log).reports) {
        std::printf("== %s [%s] corrupted=%s syz=%d lines %llu-%llu\n", r.title.c_str(), ReportKindName(r.kind),
                    r.corrupted_reason.c_str(), r.syzkaller_class, (unsigned long long)r.line_start,
                    (unsigned long long)r.line_end);
        for (const auto& l : r.text) std::printf("   | %s\n", l.c_str());
      }
    }
  }
  Tally dev, measure;
  for (const auto& f : files) {
    SyzCase c = ParseSyzFile(f);
    const bool held_out = MeasureOnly(c.name);
    Tally& t = held_out ? measure : dev;
    // Misses of the measure-only part are never printed: only its numbers are.
    const bool show = verbose && !held_out;
    LogAnalysis a = AnalyzeText(c.log);
    const CrashReport* first = nullptr;
    for (const auto& r : a.reports)
      if (r.syzkaller_class) {
        first = &r;
        break;
      }
    ++t.files;
    auto& kind = t.kinds[KindOf(c)];
    ++kind.first;
    const bool expect_crash = !c.title.empty();
    if ((first != nullptr) == expect_crash) ++t.detected_ok;
    if (!expect_crash) {
      ++t.no_crash_files;
      if (!first) {
        ++t.no_crash_ok;
        ++kind.second;
      } else if (show) {
        std::printf("FALSE %s: got '%s'\n", c.name.c_str(), first->title.c_str());
      }
      continue;
    }
    ++t.crash_files;
    std::string got = first ? first->title : "";
    bool got_corrupted = first && first->corrupted;
    if (got == c.title) {
      ++t.exact;
      ++kind.second;
    } else if (show) {
      std::printf("TITLE %s: want '%s' got '%s'\n", c.name.c_str(), c.title.c_str(), got.c_str());
    }
    if (first && got_corrupted == c.corrupted) ++t.corrupted_ok;
    else if (show && first)
      std::printf("CORRUPTED %s: want %d got %d (%s) title '%s'\n", c.name.c_str(), c.corrupted, got_corrupted,
                  first->corrupted_reason.c_str(), got.c_str());
  }
  dev.Print("development");
  measure.Print("measure-only");
  RecordProperty("exact_title_percent_development", std::to_string(dev.TitleRate()));
  RecordProperty("exact_title_percent_measure_only", std::to_string(measure.TitleRate()));
  // Floors: raise when accuracy improves.
  EXPECT_GE(dev.TitleRate(), 98.9);
  EXPECT_GE(dev.DetectRate(), 100.0);
  EXPECT_GE(dev.CorruptedRate(), 99.2);
  EXPECT_GE(measure.TitleRate(), 100.0);
  EXPECT_GE(measure.DetectRate(), 100.0);
  EXPECT_GE(measure.CorruptedRate(), 99.0);
}

}  // namespace
}  // namespace ktriage::testing
