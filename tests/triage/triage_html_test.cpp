// `ktriage triage --html`: the page's tables and chart agree with the JSON Lines of the same run,
// its example frames are symbolized with the real debuginfo, it is the same bytes twice, it needs
// no network, and Debian's Chromium renders it headless (DOM and screenshot).
#include <gtest/gtest.h>
#include <sys/time.h>

#include <map>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "tests/symbols/debuginfo_cache.h"
#include "tests/triage/triage_test_util.h"

namespace ktriage::testing {
namespace {

// The real console logs, each dated a different day (the chart is per day).
std::vector<fs::path> DatedTree(const fs::path& root) {
  std::vector<fs::path> logs;
  const fs::path src = fs::path(kSourceDir) / "corpora/console/debian-6.1-qemu";
  for (const auto& e : fs::directory_iterator(src)) {
    if (e.path().extension() == ".log") logs.push_back(e.path());
  }
  std::sort(logs.begin(), logs.end());
  std::vector<fs::path> out;
  for (size_t i = 0; i < logs.size(); ++i) {
    const fs::path to = root / ("host" + std::to_string(i % 3)) / logs[i].filename();
    fs::create_directories(to.parent_path());
    fs::copy_file(logs[i], to);
    // 2026-11-20, -21, -22 at noon UTC.
    const time_t t = 1763640000 + static_cast<time_t>(i % 3) * 86400;
    const timeval times[2] = {{t, 0}, {t, 0}};
    EXPECT_EQ(utimes(to.c_str(), times), 0);
    out.push_back(to);
  }
  return out;
}

std::vector<std::string> Matches(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  // RE2, not std::regex: GCC 12's <regex> trips -Wmaybe-uninitialized under ASan.
  const re2::RE2 re(pattern);
  re2::StringPiece input(text);
  std::string group;
  while (re2::RE2::FindAndConsume(&input, re, &group)) out.push_back(group);
  return out;
}

struct HtmlRun {
  std::string html;
  std::string jsonl;
  std::string out;
};

HtmlRun Triage(const fs::path& tree, const fs::path& dir, const std::vector<std::string>& extra) {
  const fs::path html = dir / "report.html", jsonl = dir / "out.jsonl";
  std::vector<std::string> args = {"triage", "--no-db", "--jobs", "2", "--html", html.string(), "--output", jsonl.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(tree.string());
  CliOutcome o = RunKtriage(args);
  EXPECT_EQ(o.code, 0) << o.err;
  return {Slurp(html), Slurp(jsonl), o.out};
}

TEST(TriageHtml, TablesAndChartAgreeWithTheJsonLines) {
  TempDir tmp;
  const std::vector<fs::path> logs = DatedTree(tmp.path() / "tree");
  ASSERT_GE(logs.size(), 6u);
  const HtmlRun run = Triage(tmp.path() / "tree", tmp.path(), {"--no-symbols"});

  // Every report of the JSON Lines, per day and kind; every finding per rule.
  std::map<std::string, std::map<std::string, uint64_t>> per_day;
  std::map<std::string, uint64_t> per_rule;
  std::istringstream in(run.jsonl);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j["type"] == "report") per_day[j["time"].get<std::string>().substr(0, 10)][j["kind"].get<std::string>()]++;
    if (j["type"] == "finding") per_rule[j["rule"].get<std::string>()]++;
  }
  ASSERT_EQ(per_day.size(), 3u);

  std::map<std::string, std::map<std::string, uint64_t>> charted;
  const re2::RE2 bar(R"re(data-day="([^"]+)" data-kind="([^"]+)" data-count="(\d+)")re");
  re2::StringPiece html(run.html);
  std::string day, kind;
  uint64_t count = 0;
  while (re2::RE2::FindAndConsume(&html, bar, &day, &kind, &count)) charted[day][kind] += count;
  EXPECT_EQ(charted, per_day);

  // The known-problems table: one row per rule, with the rule's count.
  const size_t known_at = run.html.find("<table class=known>");
  ASSERT_NE(known_at, std::string::npos);
  const std::string known = run.html.substr(known_at, run.html.find("</table>", known_at) - known_at);
  const std::vector<std::string> counts = Matches(known, R"re(<tr><td class=n>(\d+)</td>)re");
  const std::vector<std::string> rules = Matches(known, R"re(<tr><td class=n>\d+</td><td>([^<]+)</td>)re");
  ASSERT_EQ(rules.size(), per_rule.size());
  for (size_t i = 0; i < rules.size(); ++i) EXPECT_EQ(std::stoull(counts[i]), per_rule[rules[i]]) << rules[i];
  EXPECT_NE(run.html.find("net.veth.softlockup-skb-tx-hash"), std::string::npos);

  // Each row links to an example section with the report's text.
  for (const std::string& id : Matches(run.html, R"re(<a href="#([ku]\d+)">)re")) {
    EXPECT_NE(run.html.find("<section class=example id=\"" + id + "\">"), std::string::npos) << id;
  }
  EXPECT_NE(run.html.find("netdev_pick_tx"), std::string::npos);

  // Self-contained: nothing to fetch.
  for (const char* ref : {"src=", "href=\"http", "url(", "@import", "<script"}) {
    EXPECT_EQ(run.html.find(ref), std::string::npos) << ref;
  }
  // Deterministic.
  fs::create_directories(tmp.path() / "again");
  EXPECT_EQ(Triage(tmp.path() / "tree", tmp.path() / "again", {"--no-symbols"}).html, run.html);
}

TEST(TriageHtml, ExampleFramesAreSymbolizedWithRealDebuginfo) {
  std::optional<fs::path> debuginfo = DebuginfoCacheDir();
  if (!debuginfo) GTEST_SKIP() << "no debuginfo cache: run `make debuginfo`";
  TempDir tmp;
  DatedTree(tmp.path() / "tree");
  const HtmlRun run = Triage(tmp.path() / "tree", tmp.path(), {"--debug-root", DebuginfoDebugRoot(*debuginfo).string()});
  // The veth soft lockup's example: netdev_pick_tx resolved to net/core/dev.c with its inline chain.
  const re2::RE2 pick_tx(R"re(<tr><td>netdev_pick_tx\+0x[0-9a-f]+/0x[0-9a-f]+</td><td>net/core/dev\.c:\d+ <span class=tag>debuginfo</span>)re");
  EXPECT_TRUE(re2::RE2::PartialMatch(run.html, pick_tx));
  EXPECT_NE(run.html.find("<tr class=inlined><td>inlined "), std::string::npos);
}

// Debian's Chromium, as CI installs it (scripts/debian-packages.txt).
std::string Chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

TEST(TriageHtml, ChromiumRendersThePage) {
  const std::string chromium = Chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh installs it)";
  TempDir tmp;
  DatedTree(tmp.path() / "tree");
  const HtmlRun run = Triage(tmp.path() / "tree", tmp.path(), {"--no-symbols"});
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
      " --disable-component-update --disable-sync --user-data-dir='" + (tmp.path() / "profile").string() + "'"
      " --window-size=1280,1600 ";
  const std::string page = "'file://" + (tmp.path() / "report.html").string() + "'";
  // Not Shell(): it sends stdout to /dev/null.
  const std::string dump = "cd '" + tmp.path().string() + "' && timeout 120 " + chromium + flags + "--dump-dom " + page +
                           " > dom.html 2> chromium.err";
  ASSERT_EQ(std::system(dump.c_str()), 0) << dump;
  const std::string dom = Slurp(tmp.path() / "dom.html");
  // The parsed document holds what was written: both tables, the chart's bars, the examples.
  EXPECT_NE(dom.find("<table class=\"known\">"), std::string::npos);
  EXPECT_NE(dom.find("<svg class=\"chart\""), std::string::npos);
  EXPECT_EQ(Matches(dom, R"re((<rect class="bar"))re").size(), Matches(run.html, R"re((<rect class=bar))re").size());
  EXPECT_EQ(Matches(dom, R"re((<section class="example"))re").size(), Matches(run.html, R"re((<section class=example))re").size());

  Shell(tmp.path(), "timeout 120 " + chromium + flags + "--screenshot=shot.png " + page);
  const std::string png = Slurp(tmp.path() / "shot.png");
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  const auto be32 = [&](size_t at) {
    return (uint32_t{static_cast<unsigned char>(png[at])} << 24) | (uint32_t{static_cast<unsigned char>(png[at + 1])} << 16) |
           (uint32_t{static_cast<unsigned char>(png[at + 2])} << 8) | uint32_t{static_cast<unsigned char>(png[at + 3])};
  };
  EXPECT_EQ(be32(16), 1280u);  // IHDR width and height: the window rendered
  EXPECT_EQ(be32(20), 1600u);
  // A blank page compresses to a few kilobytes; text, tables and bars do not.
  EXPECT_GT(png.size(), 40000u);
}

}  // namespace
}  // namespace ktriage::testing
