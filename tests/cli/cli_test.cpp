// End-to-end tests of the built `ktriage` binary: exit codes, streams, JSON, help, colour.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli/run_binary.h"

namespace ktriage {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using testing::RunBinary;
using testing::RunOutcome;
using testing::RunSpec;

const std::string kSample = KTRIAGE_SOURCE_DIR "/corpora/samples/veth-softlockup.log";
const std::string kSampleGz = KTRIAGE_SOURCE_DIR "/corpora/samples/veth-softlockup.log.gz";

size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }
bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ktriage-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunOutcome Run(std::vector<std::string> args) {
    RunSpec spec;
    spec.args = std::move(args);
    return Run(spec);
  }
  RunOutcome Run(const RunSpec& spec) { return RunBinary(KTRIAGE_BINARY, spec, dir_.string()); }

  std::string WriteFile(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

  fs::path dir_;
};

TEST_F(CliTest, TopLevelHelpListsOnlyWorkingCommands) {
  RunOutcome r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.out, "Usage: ktriage COMMAND"));
  EXPECT_TRUE(Contains(r.out, "  analyze "));
  EXPECT_TRUE(Contains(r.out, "  dmesg "));
  EXPECT_TRUE(Contains(r.out, "  vmcore "));
  EXPECT_TRUE(Contains(r.out, "  symbolize "));
  EXPECT_TRUE(Contains(r.out, "  rules "));
  EXPECT_TRUE(Contains(r.out, "  history "));
  EXPECT_TRUE(Contains(r.out, "  merge "));
  EXPECT_TRUE(Contains(r.out, "--version"));
  EXPECT_TRUE(Contains(r.out, "Examples:"));
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(Run({"help"}).out, r.out);
  EXPECT_EQ(Run({"-h"}).out, r.out);
}

TEST_F(CliTest, AnalyzeHelpMentionsEveryOption) {
  RunOutcome r = Run({"analyze", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"Usage: ktriage analyze", "--format", "text|json", "--color", "auto|always|never",
                        "--all-frames", "--help", "NO_COLOR", "Exit status:", "Examples:", "docs/json.md"}) {
    EXPECT_TRUE(Contains(r.out, s)) << s;
  }
  EXPECT_EQ(Run({"help", "analyze"}).out, r.out);
  EXPECT_EQ(Run({"analyze", "-h", "ignored-path"}).out, r.out);
}

TEST_F(CliTest, UsageErrorsExitTwoWithAHint) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
    std::string hint;
  };
  const std::string analyze_hint = "Try 'ktriage analyze --help'.";
  const std::string top_hint = "Try 'ktriage --help'.";
  for (const Case& c : std::vector<Case>{
           {{"analyze"}, "no PATH", analyze_hint},
           {{"analyze", "--bogus", kSample}, "--bogus", analyze_hint},
           {{"analyze", "--format", "xml", kSample}, "invalid --format 'xml'", analyze_hint},
           {{"analyze", "--color", "sometimes", kSample}, "invalid --color 'sometimes'", analyze_hint},
           {{"analyze", "--format"}, "--format", analyze_hint},
           // Prefixes are not guessed: "--all" is not --all-frames.
           {{"analyze", "--all", kSample}, "--all", analyze_hint},
           {{"analyse", kSample}, "no such command: 'analyse'", top_hint},
           {{"--bogus"}, "unknown option '--bogus'", top_hint},
           {{"help", "nope"}, "no such command: 'nope'", top_hint},
       }) {
    RunOutcome r = Run(c.args);
    std::string what = c.args[0] + (c.args.size() > 1 ? " " + c.args[1] : "");
    EXPECT_EQ(r.exit_code, 2) << what;
    EXPECT_EQ(r.out, "") << what;
    EXPECT_EQ(r.err.rfind("ktriage: ", 0), 0u) << what << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, c.message)) << what << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, c.hint)) << what << ": " << r.err;
  }
  RunOutcome bare = Run(std::vector<std::string>{});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_TRUE(Contains(bare.err, "Usage: ktriage COMMAND"));
}

TEST_F(CliTest, DirectoryAndTruncatedStreamAreInputErrors) {
  // Large enough that the lines before the cut come through: libarchive holds back up to its
  // last 64 KiB output block when the stream ends early.
  std::ifstream sample_in(kSample, std::ios::binary);
  std::string sample((std::istreambuf_iterator<char>(sample_in)), std::istreambuf_iterator<char>());
  std::string big;
  for (int i = 0; i < 60; ++i) big += sample;
  std::string plain = WriteFile("big.log", big);
  std::string gz = plain + ".gz";
  ASSERT_EQ(std::system(("gzip -1 -n -c '" + plain + "' > '" + gz + "'").c_str()), 0);
  fs::resize_file(gz, fs::file_size(gz) / 2);
  std::string truncated = gz;
  std::string directory = dir_.string();
  RunOutcome r = Run({"analyze", "--format", "json", directory, truncated, kSample});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.err), 2u) << r.err;
  EXPECT_TRUE(Contains(r.err, "ktriage: " + directory + ": ")) << r.err;
  EXPECT_TRUE(Contains(r.err, "ktriage: " + truncated + ": ")) << r.err;
  ordered_json doc = ordered_json::parse(r.out);
  ASSERT_EQ(doc["inputs"].size(), 3u);
  EXPECT_EQ(doc["inputs"][0]["errors"].size(), 1u);
  // A stream cut mid-way keeps what was read before the error.
  EXPECT_EQ(doc["inputs"][1]["errors"].size(), 1u);
  EXPECT_GT(doc["inputs"][1]["stats"]["lines"].get<uint64_t>(), 0u);
  EXPECT_EQ(doc["inputs"][2]["errors"], ordered_json::array());
}

TEST_F(CliTest, BinaryGarbageGivesValidJson) {
  std::string garbage;
  uint32_t x = 2463534242u;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    garbage.push_back(static_cast<char>(x & 0xff));
    if (i % 997 == 0) garbage += "\n[  1.0] BUG: unable to handle page fault \xff\xfe for address\nCall Trace:\n";
  }
  std::string path = WriteFile("garbage.bin", garbage);
  RunOutcome r = Run({"analyze", "--format", "json", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // nlohmann rejects invalid UTF-8, so parsing checks the sanitising too.
  ordered_json doc;
  ASSERT_NO_THROW(doc = ordered_json::parse(r.out));
  EXPECT_EQ(doc["inputs"][0]["stats"]["bytes"], garbage.size());
}

TEST_F(CliTest, ColourFollowsTerminalAndNoColor) {
  auto run_on_tty = [&](std::optional<std::string> no_color, std::vector<std::string> extra = {}) {
    RunSpec spec;
    spec.args = {"analyze"};
    spec.args.insert(spec.args.end(), extra.begin(), extra.end());
    spec.args.push_back(kSample);
    spec.stdout_tty = true;
    spec.env = {{"NO_COLOR", no_color}};
    RunOutcome r = Run(spec);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(r.out.empty());
    return r.out.find('\x1b') != std::string::npos;
  };
  EXPECT_TRUE(run_on_tty(std::nullopt)) << "a terminal gets colour by default";
  EXPECT_FALSE(run_on_tty("1")) << "NO_COLOR=1 turns it off";
  EXPECT_TRUE(run_on_tty("")) << "an empty NO_COLOR does not count (no-color.org)";
  EXPECT_FALSE(run_on_tty(std::nullopt, {"--color", "never"}));

  RunOutcome piped = Run({"analyze", kSample});
  EXPECT_EQ(piped.out.find('\x1b'), std::string::npos) << "no colour into a pipe or file";
  RunOutcome forced = Run({"analyze", "--color=always", kSample});
  EXPECT_NE(forced.out.find('\x1b'), std::string::npos);
}

TEST_F(CliTest, OutputIsIdenticalAcrossRuns) {
  std::string garbage = WriteFile("mixed.log", "random \x01\x02\xff bytes\n[ 5.0] WARNING: CPU: 0 PID: 1 at x\n");
  for (const char* format : {"json", "text"}) {
    std::vector<std::string> args = {"analyze", "--format", format, kSample, kSampleGz, garbage};
    RunOutcome first = Run(args);
    RunOutcome second = Run(args);
    EXPECT_EQ(first.exit_code, 0) << first.err;
    EXPECT_FALSE(first.out.empty());
    EXPECT_EQ(first.out, second.out) << format;
    EXPECT_EQ(first.err, second.err) << format;
  }
}

}  // namespace
}  // namespace ktriage
