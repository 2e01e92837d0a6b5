// `ktriage rules` end to end where the output cannot be pinned as a case (tests/cases holds lint,
// test, explain and list on fixed inputs): a real dump's facts, help and usage errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/cli/run_binary.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage {
namespace {

namespace fs = std::filesystem;
using testing::RunBinary;
using testing::RunOutcome;
using testing::RunSpec;

const std::string kIgbLog = KTRIAGE_SOURCE_DIR "/corpora/console/debian-6.1-qemu/igb-vlan-seed.log";

bool Contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

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
