// Agreement with ABRT's oops extraction (abrt-dump-oops expected outputs, *.right): we must find
// a report wherever ABRT found an oops, and our frames must hold the frames of ABRT's oops text, in
// order. The frames expected are read from ABRT's text by a regex of this test, not by our parser.
#include <gtest/gtest.h>

#include <re2/re2.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "analyzer/report/frame_parser.h"
#include "tests/report/corpus_util.h"

namespace ktriage::testing {
namespace {

// The functions of ABRT's oops text, in order, as a reader would list them: every "name+0x1/0x2"
// (a leading ppc64 '.' dropped) and arm32's "(name) from", except the frames printed as
// unreliable ("? name", "(unreliable)", s390's parenthesised frames), and before the first stack
// heading only the lines naming the PC (lockdep's held locks name functions too); repeats once.
std::vector<std::string> ExpectedFrames(const std::string& text) {
  static const re2::RE2 kSymbol("(?:^|[\\s(\\]>:])\\.?([A-Za-z_][A-Za-z0-9_.]*)(?:\\+0x[0-9a-f]+/0x[0-9a-f]+|\\) from )");
  static const re2::RE2 kStackHeading("Call Trace|Call trace:|Backtrace:|stack backtrace:");
  static const re2::RE2 kPcLine("^\\s*(?:RIP:|IP:|EIP:|EIP is at|PC is at|LR is at|NIP|LR \\[|Krnl PSW|pc :|lr :)");
  std::vector<std::string> names;
  bool in_stack = false;  // before the first stack heading, only the lines naming the PC have frames
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.find("---[ end trace") != std::string_view::npos || line.find("[ cut here ]") != std::string_view::npos ||
        line.rfind("Version: ", 0) == 0)
      in_stack = false;  // the next oops begins (ABRT heads each oops it extracts with "Version:")
    if (!in_stack && re2::RE2::PartialMatch(line, kStackHeading)) in_stack = true;
    if (!in_stack && !re2::RE2::PartialMatch(line, kPcLine)) continue;
    // The PC repeated after the trace ("RIP  [<...>] foo+0x1/0x2", "EIP: [<...>] foo+0x1/0x2 SS:ESP ...")
    // is the oops's summary, not a frame.
    if (line.find("RIP  [<") != std::string_view::npos || line.find(" SS:ESP ") != std::string_view::npos) continue;
    if (line.find(" ? ") != std::string_view::npos || line.find("(unreliable)") != std::string_view::npos ||
        line.find("([<") != std::string_view::npos || line.find("WARNING: at ") != std::string_view::npos)
      continue;  // unreliable, or 2.6/3.x's "WARNING: at file:line func+0x1/0x2()" header (a sentence)
    re2::StringPiece input(line.data(), line.size());
    std::string name;
    while (re2::RE2::FindAndConsume(&input, kSymbol, &name))
      if (names.empty() || names.back() != name) names.push_back(name);
  }
  return names;
}

// How many of `want`, from its start, appear in `got` in the same order.
size_t InOrder(const std::vector<std::string>& want, const std::vector<std::string>& got) {
  size_t w = 0;
  for (size_t g = 0; g < got.size() && w < want.size(); ++g)
    if (got[g] == want[w]) ++w;
  return w;
}

TEST(AbrtCorpus, ReportsAndFramesAgreeWithAbrt) {
  const auto dir = SourceDir() / "corpora/abrt-examples";
  int files = 0, with_stack = 0, found_ok = 0, frames_ok = 0;
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
    const std::vector<std::string> want = ExpectedFrames(right);
    if (!want.empty()) ++with_stack;
    LogAnalysis a = AnalyzeText(ReadFile(test));
    std::vector<std::string> got;
    for (const auto& r : a.reports)
      for (const auto& f : r.frames)
        if (f.reliable && !f.function.empty() && (got.empty() || got.back() != f.function)) got.push_back(f.function);
    bool found = expected == 0 ? a.reports.empty() : !a.reports.empty();
    const size_t matched = InOrder(want, got);
    const bool in_order = matched == want.size();
    found_ok += found;
    frames_ok += found && in_order;
    if (!(found && in_order)) {
      std::printf("ABRT %s: expected %d oops(es), found %zu reports; %zu of %zu frames in order", e.path().filename().c_str(),
                  expected, a.reports.size(), matched, want.size());
      if (matched < want.size()) std::printf(", first missing: %s", want[matched].c_str());
      std::printf("\n");
    }
  }
  std::printf("abrt corpus: %d files (%d with a stack); reports found where ABRT found oopses %d/%d; every frame of "
              "ABRT's text, in order, %d/%d\n",
              files, with_stack, found_ok, files, frames_ok, files);
  ASSERT_GE(files, 15);
  ASSERT_GE(with_stack, 15);
  EXPECT_EQ(found_ok, files);
  EXPECT_EQ(frames_ok, files);
}

// The logs of the collection that ABRT has no expected output for (module oopses, several oopses
// in one log, a 3.x oops): every frame of their text, in order, is in our reports' frames.
TEST(AbrtCorpus, EveryOopsLogGetsItsFramesInOrder) {
  const auto dir = SourceDir() / "corpora/abrt-examples";
  int logs = 0, ok = 0;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir)) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    const std::string ext = path.extension().string();
    if (ext != ".test" && !ext.empty()) continue;
    auto right = path;
    right.replace_extension(".right");
    if (std::filesystem::exists(right)) continue;  // the test above compares those with ABRT's text
    const std::string name = path.filename().string();
    if (name.rfind("no_", 0) == 0 || name.rfind("not_", 0) == 0) continue;  // ABRT's examples of logs with no oops
    std::string text = ReadFile(path);
    const std::vector<std::string> want = ExpectedFrames(text);
    if (want.empty()) continue;
    ++logs;
    std::vector<std::string> got;
    for (const auto& r : AnalyzeText(text).reports)
      for (const auto& f : r.frames)
        if (f.reliable && !f.function.empty() && (got.empty() || got.back() != f.function)) got.push_back(f.function);
    const size_t matched = InOrder(want, got);
    if (matched == want.size()) ++ok;
    else
      std::printf("ABRT %s: %zu of %zu frames in order, first missing: %s\n", path.filename().c_str(), matched,
                  want.size(), want[matched].c_str());
  }
  std::printf("abrt logs without an expected output: %d with a stack; every frame in order %d/%d\n", logs, ok, logs);
  ASSERT_GE(logs, 5);
  EXPECT_EQ(ok, logs);
}

}  // namespace
}  // namespace ktriage::testing
