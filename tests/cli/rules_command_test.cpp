// `ktriage rules lint|test|explain|list` and `analyze --rules` end to end, on the real binary, with
// rule files written by each test and the real console logs of corpora/.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli/run_binary.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunBinary;
using testing::RunOutcome;
using testing::RunSpec;

const std::string kIgbLog = KTRIAGE_SOURCE_DIR "/corpora/console/debian-6.1-qemu/igb-vlan-seed.log";

bool Contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Two files with one problem of each kind lint knows by location, and a good rule among them.
// Line numbers matter: the tests below assert them.
const char* kBrokenA = R"yaml(rules:
  - id: test.a.unknown-key
    title: unknown key
    severity: low
    titel: typo
    match:
      line: 'foo'
  - id: test.a.backreference
    title: backreference
    severity: low
    match:
      line: '(\w+) and \1'
  - id: test.shared.dup
    title: first of the pair
    severity: low
    match:
      line: 'dup'
)yaml";
const char* kBrokenB = R"yaml(rules:
  - id: test.shared.dup
    title: second of the pair
    severity: low
    match:
      line: 'dup2'
  - id: test.b.summary
    title: summary field
    severity: low
    summary: "device {dev} is {state}"
    match:
      line: 'device (?P<dev>\S+) down'
  - id: test.b.good
    title: a good one
    severity: high
    match:
      line: 'link (?P<dev>\S+) is good'
)yaml";

// The igb VF VLAN NACK as a correlation (docs/rules.md's worked example), with one test that
// passes and one whose expectation is wrong.
const char* kIgbRules = R"yaml(rules:
  - id: test.igb.vf-vlan-nack
    title: the PF refused a VF's VLAN change
    severity: low
    tags: [net, igb]
    summary: "VF {vf} on {pf}: VLAN NACKed ({netdev})"
    match:
      sequence:
        steps:
          - 'igb (?P<pf>[0-9a-f:.]+): VF (?P<vf>\d+) attempted to override administratively set VLAN tag'
          - 'failed to kill vid [0-9a-f]+/\d+ for device (?P<netdev>\S+)'
        within: {seconds: 5}
    tests:
      - name: the seed's lines
        log: |
          [    4.296586] igb 0000:01:00.1: VF 2 attempted to override administratively set VLAN tag
          [    4.297049] failed to kill vid 0081/0 for device eth1
        expect: {findings: 1, summary_contains: ["VF 2 on 0000:01:00.1"]}
      - name: a wrong expectation
        log: |
          [    4.296586] igb 0000:01:00.1: VF 2 attempted to override administratively set VLAN tag
        expect: {findings: 1}
  - id: test.igb.nack-before-panic
    title: a VF VLAN NACK shortly before a panic
    severity: medium
    summary: "{kind} on CPU {cpu} after VF {vf}'s NACK"
    match:
      all:
        - report: {kind: panic}
        - line:
            pattern: 'igb \S+: VF (?P<vf>\d+) attempted to override'
            within: {seconds: 1}
        - any:
            - report: {frames: {any: [netdev_pick_tx], top: 8}}
            - line: 'sysrq: Trigger a crash'
    tests:
      - name: no report, no finding
        log: "[    1.000000] igb 0000:01:00.1: VF 2 attempted to override administratively set VLAN tag\n"
        expect: {findings: 0}
)yaml";

class RulesCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ktriage-rules-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunOutcome Run(std::vector<std::string> args, const std::string& stdin_path = "/dev/null") {
    RunSpec spec;
    spec.args = std::move(args);
    spec.stdin_path = stdin_path;
    return RunBinary(KTRIAGE_BINARY, spec, dir_.string());
  }

  std::string Write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

  fs::path dir_;
};

TEST_F(RulesCommandTest, LintNamesEachProblemAtItsFileLineAndColumn) {
  const std::string a = Write("broken/a.yaml", kBrokenA);
  const std::string b = Write("broken/b.yaml", kBrokenB);
  RunOutcome r = Run({"rules", "lint", (dir_ / "broken").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Every location is the culprit's own: the key, the pattern, the second id, the summary.
  const std::string expected =
      a + ":5:5: error: rule test.a.unknown-key: unknown key 'titel' in rule (known: id, title, severity, description, "
          "references, remediation, tags, summary, match, evidence, tests)\n" +
      a + ":12:13: error: rule test.a.backreference: line pattern /(\\w+) and \\1/ does not compile: invalid escape "
          "sequence: \\1: RE2 has no backreferences; capture both parts and compare them with `same:` in a sequence, or "
          "write the text out\n" +
      b + ":2:9: error: rule test.shared.dup: duplicate id 'test.shared.dup' (first at " + a + ":13:5)\n" + b +
      ":10:14: error: rule test.b.summary: summary uses {state}, which no pattern captures (report fields need a report "
      "condition)\n"
      "2 files, 6 rules: 4 errors, 0 warnings\n";
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(r.err, "");
}

TEST_F(RulesCommandTest, LintPassesAGoodFileAndCountsWarnings) {
  const std::string good = Write("good.yaml", kIgbRules);
  RunOutcome r = Run({"rules", "lint", good});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "1 file, 2 rules: 0 errors, 0 warnings\n");

  // A warning does not fail the lint: the rule still loads.
  const std::string warned = Write("warned.yaml", R"yaml(rules:
  - id: test.warn.suffix
    title: suffix
    severity: info
    match:
      report: {frames: {any: [tcp_write_timer.cold]}}
)yaml");
  r = Run({"rules", "lint", warned});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, warned + ":6:30: warning: rule test.warn.suffix: 'tcp_write_timer.cold': suffixes")) << r.out;
  EXPECT_TRUE(Contains(r.out, "1 file, 1 rule: 0 errors, 1 warning\n")) << r.out;

  r = Run({"rules", "lint", (dir_ / "missing.yaml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.out, "missing.yaml:0:0: error: no such rule file or directory")) << r.out;
}

TEST_F(RulesCommandTest, TestRunsEveryTestAndFailsOnAWrongExpectation) {
  const std::string file = Write("igb.yaml", kIgbRules);
  RunOutcome r = Run({"rules", "test", file});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PASS test.igb.vf-vlan-nack: the seed's lines\n")) << r.out;
  // Where the failing test is written, what was expected, what came and why not.
  EXPECT_TRUE(Contains(r.out, "FAIL test.igb.vf-vlan-nack: a wrong expectation (" + file +
                                  ":19): expected 1 finding(s), got 0; sequence of 2 lines: ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PASS test.igb.nack-before-panic: no report, no finding\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "3 tests of 2 rules: 2 passed, 1 failed\n")) << r.out;

  r = Run({"rules", "test", "--rule", "test.igb.nack-before-panic", file});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "PASS test.igb.nack-before-panic: no report, no finding\n1 test of 1 rule: 1 passed, 0 failed\n");

  r = Run({"rules", "test", "--rule", "test.igb.vf-vlan-nak", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "no rule 'test.igb.vf-vlan-nak'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "  test.igb.vf-vlan-nack\n")) << r.err;
}

TEST_F(RulesCommandTest, TestRefusesABrokenRuleSet) {
  Write("broken/a.yaml", kBrokenA);
  Write("broken/b.yaml", kBrokenB);
  RunOutcome r = Run({"rules", "test", (dir_ / "broken").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(Contains(r.err, "a.yaml:12:13: error: rule test.a.backreference:")) << r.err;
  EXPECT_TRUE(Contains(r.err, "the rule set has 4 errors; no test was run")) << r.err;
}

TEST_F(RulesCommandTest, ExplainShowsHeldAndFailedConditionsOnARealConsoleLog) {
  const std::string file = Write("igb.yaml", kIgbRules);
  RunOutcome r = Run({"rules", "explain", "--rules", file, "test.igb.nack-before-panic", kIgbLog});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The log's one report (the sysrq panic that ends the scenario), then each condition indented
  // under its parent, with where it is written.
  EXPECT_TRUE(Contains(r.out, "report-scoped")) << r.out;
  EXPECT_TRUE(Contains(r.out, "input " + kIgbLog + ": 385 lines, 1 report\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "held   report #0: kernel panic: sysrq triggered crash  [" + file + ":23:5]\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  held   all  [" + file + ":28:7]\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "    held   line /igb \\S+: VF (?P<vf>\\d+) attempted to override/  [" + file + ":30:11]\n"))
      << r.out;
  // The nearest miss: the stack the frames condition looked at.
  EXPECT_TRUE(Contains(r.out, "      failed report #0 (kernel panic: sysrq triggered crash)  [" + file + ":34:15]\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "no frame among netdev_pick_tx in the top 8; the stack: dump_stack_lvl, panic,")) << r.out;
  EXPECT_TRUE(Contains(r.out, "      held   line /sysrq: Trigger a crash/  [" + file + ":35:15]\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "result: the rule fired: 1 finding\n  panic on CPU 0 after VF 2's NACK (report #0)\n"
                              "    line 334: igb 0000:01:00.1: VF 2 attempted to override administratively set VLAN tag\n"))
      << r.out;

  // The same rule on a log without the report: it did not fire, and says why.
  const std::string lines_only = Write("nack.log", "[    4.296586] igb 0000:01:00.1: VF 2 attempted to override administratively set VLAN tag\n");
  r = Run({"rules", "explain", "--rules", file, "test.igb.nack-before-panic", "-"}, lines_only);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "input <stdin>: 1 line, 0 reports\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "failed report-scoped rule  [" + file + ":23:5]\n       the input has no report\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "result: the rule did not fire\n")) << r.out;

  // A log-scoped correlation whose second step never comes: the nearest miss is the first step.
  r = Run({"rules", "explain", "--rules", file, "test.igb.vf-vlan-nack", lines_only});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "failed sequence of 2 lines  [" + file + ":8:7]\n       at most 1 of the 2 steps")) << r.out;
}

TEST_F(RulesCommandTest, ExplainReadsACrashDumpWithItsFacts) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  const fs::path dump = dumps / "igb-vlan-seed-kaslr" / "vmcore.kdump-zlib";
  if (!fs::exists(dump)) GTEST_SKIP() << dump << " is missing";
  const std::string file = Write("dump.yaml", R"yaml(rules:
  - id: test.dump.igb
    title: the NACK, in a dump of a 6.1 kernel
    severity: low
    summary: "VF {vf} ({release}, panic: {panic})"
    match:
      all:
        - system: {vmcore: true, release: ">= 6.1, < 6.2"}
        - line: 'VF (?P<vf>\d+) attempted to override administratively set VLAN tag'
)yaml");
  RunOutcome r = Run({"rules", "explain", "--rules", file, "test.dump.igb", dump.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, ": crash dump, ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  held   system  [")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  VF 2 (6.1.0-50-cloud-amd64, panic: sysrq triggered crash)\n")) << r.out;
  // The same rule on the console log of that boot: not a dump.
  r = Run({"rules", "explain", "--rules", file, "test.dump.igb", kIgbLog});
  EXPECT_TRUE(Contains(r.out, "  failed system  [")) << r.out;
  EXPECT_TRUE(Contains(r.out, "the input is not a dump")) << r.out;
}

TEST_F(RulesCommandTest, ExplainRefusesAnUnknownRuleWithTheCloseIds) {
  const std::string file = Write("igb.yaml", kIgbRules);
  RunOutcome r = Run({"rules", "explain", "--rules", file, "test.igb.nack-before-panik", kIgbLog});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "ktriage: rules: no rule 'test.igb.nack-before-panik' among the 2 loaded; close ids:\n"
                   "  test.igb.nack-before-panic\n");
  r = Run({"rules", "explain", "--rules", file, "nothing.like.it", kIgbLog});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "'ktriage rules list' shows them all")) << r.err;
  r = Run({"rules", "explain", "--rules", file, "test.igb.vf-vlan-nack", (dir_ / "no-such.log").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "no-such.log")) << r.err;
}

TEST_F(RulesCommandTest, ListSortsByIdInTextAndJson) {
  const std::string file = Write("igb.yaml", kIgbRules);
  RunOutcome r = Run({"rules", "list", file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "test.igb.nack-before-panic  medium    1 test   a VF VLAN NACK shortly before a panic\n"
            "test.igb.vf-vlan-nack       low       2 tests  the PF refused a VF's VLAN change  [net,igb]\n"
            "2 rules in 1 file\n");
  r = Run({"rules", "list", "--format", "json", file});
  EXPECT_EQ(r.exit_code, 0);
  json doc = json::parse(r.out);
  EXPECT_EQ(doc["schema"], "ktriage.rules-list/1");
  ASSERT_EQ(doc["rules"].size(), 2u);
  EXPECT_EQ(doc["rules"][0]["id"], "test.igb.nack-before-panic");
  EXPECT_EQ(doc["rules"][0]["scope"], "report");
  EXPECT_EQ(doc["rules"][1]["id"], "test.igb.vf-vlan-nack");
  EXPECT_EQ(doc["rules"][1]["severity"], "low");
  EXPECT_EQ(doc["rules"][1]["tests"], 2);
  EXPECT_EQ(doc["rules"][1]["tags"], json::array({"net", "igb"}));
  EXPECT_EQ(doc["rules"][1]["where"], file + ":2:5");
}

TEST_F(RulesCommandTest, AnalyzeRefusesABrokenRuleSetUnlessToldToSkip) {
  const std::string dir = (dir_ / "broken").string();
  Write("broken/a.yaml", kBrokenA);
  Write("broken/b.yaml", kBrokenB);
  const std::string log = Write("good.log", "[    1.000000] link eth7 is good\n");
  RunOutcome r = Run({"analyze", "--format", "json", "--rules", dir, log});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "ktriage: " + dir + "/a.yaml:5:5: error: rule test.a.unknown-key:")) << r.err;
  EXPECT_TRUE(Contains(r.err, "--skip-bad-rules")) << r.err;

  r = Run({"analyze", "--format", "json", "--skip-bad-rules", "--rules", dir, log});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* skipped : {"test.a.unknown-key", "test.a.backreference", "test.b.summary"}) {
    EXPECT_TRUE(Contains(r.err, std::string("rule ") + skipped + ":")) << skipped << ": " << r.err;
  }
  EXPECT_TRUE(Contains(r.err, "skipping 4 rule(s) with errors; classifying with 2")) << r.err;
  json doc = json::parse(r.out);
  const json& findings = doc["inputs"][0]["findings"];
  ASSERT_EQ(findings.size(), 1u) << findings.dump();
  EXPECT_EQ(findings[0]["rule"], "test.b.good");
  EXPECT_EQ(findings[0]["fields"]["dev"], "eth7");
}

TEST_F(RulesCommandTest, AnalyzeWithRulesPutsTheFindingInTheJson) {
  const std::string file = Write("igb.yaml", kIgbRules);
  RunOutcome r = Run({"analyze", "--format", "json", "--rules", file, kIgbLog});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(r.out);
  const json& findings = doc["inputs"][0]["findings"];
  ASSERT_EQ(findings.size(), 2u) << findings.dump();
  // Ordered by first evidence line: both start at the NACK (line 334), then by rule id.
  EXPECT_EQ(findings[0]["rule"], "test.igb.nack-before-panic");
  EXPECT_EQ(findings[0]["report"], 0);
  EXPECT_EQ(findings[1]["rule"], "test.igb.vf-vlan-nack");
  EXPECT_EQ(findings[1]["summary"], "VF 2 on 0000:01:00.1: VLAN NACKed (eth1)");
  EXPECT_EQ(findings[1]["severity"], "low");
  EXPECT_TRUE(findings[1]["report"].is_null());
  std::vector<int> lines;
  for (const json& e : findings[1]["evidence"]) lines.push_back(e["line"].get<int>());
  EXPECT_EQ(lines, (std::vector<int>{334, 337}));
  EXPECT_EQ(findings[1]["evidence"][1]["text"], "failed to kill vid 0081/0 for device eth1");
}

TEST_F(RulesCommandTest, HelpAndUsageErrors) {
  RunOutcome r = Run({"rules", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"Usage: ktriage rules lint", "rules test", "rules explain", "rules list", "--rule ID",
                        "--rules", "--skip-bad-rules", "--format", "Exit status:", "Examples:", "docs/rules.md"}) {
    EXPECT_TRUE(Contains(r.out, s)) << s;
  }
  EXPECT_EQ(Run({"help", "rules"}).out, r.out);
  EXPECT_EQ(Run({"rules", "lint", "--help"}).out, r.out);
  EXPECT_TRUE(Contains(Run({"--help"}).out, "\n  rules ")) << "the command table lists rules";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"rules"}, {"rules", "check"}, {"rules", "explain", "only.one"}, {"rules", "list", "--format", "xml"},
           {"rules", "lint", "--bogus"}}) {
    r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << args.back();
    EXPECT_TRUE(Contains(r.err, "Try 'ktriage rules --help'.")) << r.err;
  }
}

}  // namespace
}  // namespace ktriage
