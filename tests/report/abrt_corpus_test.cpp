// Agreement with ABRT's oops extraction (abrt-dump-oops expected outputs, *.right): we must find
// a report wherever ABRT found an oops, and our frames must cover the frames of ABRT's oops text.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "analyzer/report/frame_parser.h"
#include "tests/report/corpus_util.h"

namespace ktriage::testing {
namespace {

TEST(AbrtCorpus, ReportsAndFramesAgreeWithAbrt) {
  const auto dir = SourceDir() / "corpora/abrt-examples";
  int files = 0, found_ok = 0, frames_ok = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".right") continue;
    auto test = e.path();
    test.replace_extension(".test");
    if (!std::filesystem::exists(test)) continue;
    std::string right = ReadFile(e.path());
    const std::string marker = "abrt-dump-oops: Found oopses: ";
    if (right.rfind(marker, 0) != 0) continue;  // not an oops expectation (e.g. Xorg backtraces)
    ++files;
    int expected = std::atoi(right.c_str() + marker.size());
    std::set<std::string> want;
    size_t pos = 0;
    while (pos < right.size()) {
      size_t nl = right.find('\n', pos);
      if (nl == std::string::npos) nl = right.size();
      if (auto f = ParseFrameLine(std::string_view(right).substr(pos, nl - pos)); f && f->reliable)
        want.insert(f->function);
      pos = nl + 1;
    }
    LogAnalysis a = AnalyzeText(ReadFile(test));
    std::set<std::string> got;
    for (const auto& r : a.reports)
      for (const auto& f : r.frames) got.insert(f.function);
    bool found = expected == 0 ? a.reports.empty() : !a.reports.empty();
    bool covered = true;
    for (const auto& w : want) covered = covered && got.count(w);
    found_ok += found;
    frames_ok += found && covered;
    if (!(found && covered))
      std::printf("ABRT %s: expected %d oops(es), found %zu reports, frames %s\n", e.path().filename().c_str(), expected,
                  a.reports.size(), covered ? "covered" : "missing");
  }
  std::printf("abrt corpus: %d files; reports found where ABRT found oopses %d/%d; frames covered %d/%d\n", files,
              found_ok, files, frames_ok, files);
  ASSERT_GE(files, 15);
  EXPECT_GE(found_ok * 100 / files, 90);
  EXPECT_GE(frames_ok * 100 / files, 75);
}

}  // namespace
}  // namespace ktriage::testing
