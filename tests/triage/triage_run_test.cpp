// RunTriage over real data: trees and archives built from the corpora and the real dumps.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "analyzer/ingest/input_source.h"
#include "rules/rule_loader.h"
#include "tests/triage/triage_test_util.h"
#include "tests/vmcore/dump_cache.h"
#include "analyzer/pipeline/input_pipeline.h"
#include "analyzer/triage/triage.h"

namespace ktriage::triage {
namespace {

using ktriage::testing::BuildTree;
using ktriage::testing::MakeTar;
using ktriage::testing::Shell;
using ktriage::testing::Slurp;
using ktriage::testing::TempDir;
using ktriage::testing::Write;
namespace fs = std::filesystem;

struct Shared {
  std::shared_ptr<const LogAnalyzer> analyzer;
  std::shared_ptr<const rules::RuleEngine> engine;
};

const Shared& Pipeline() {
  static const Shared shared = [] {
    Shared s;
    auto a = LogAnalyzer::Create();
    EXPECT_TRUE(a.ok());
    s.analyzer = *a;
    rules::LoadedRules loaded = rules::LoadRules({KTRIAGE_SOURCE_DIR "/rules/shipped"});
    auto e = rules::RuleEngine::Create(std::move(loaded.rules));
    EXPECT_TRUE(e.ok());
    s.engine = *e;
    return s;
  }();
  return shared;
}

struct RunOutput {
  TriageResult result;
  std::string jsonl;
  std::vector<std::string> errors;
};

RunOutput Triage(const std::vector<std::string>& paths, unsigned jobs, const std::string& db = "",
           InputLimits limits = {}) {
  std::ostringstream jsonl;
  RunOutput run;
  TriageOptions o;
  o.paths = paths;
  o.jobs = jobs;
  o.db_path = db;
  o.limits = limits;
  o.jsonl = &jsonl;
  o.temp_dir = fs::temp_directory_path().string();
  o.on_error = [&](const std::string& e) { run.errors.push_back(e); };
  auto r = RunTriage(o, pipeline::Tools{Pipeline().analyzer, Pipeline().engine});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (r.ok()) run.result = std::move(*r);
  run.jsonl = jsonl.str();
  return run;
}

// What triage must find: every log analysed on its own with the same pipeline, findings counted
// per rule, reports no finding is about counted per signature.
struct Expected {
  std::map<std::string, uint64_t> rules;
  std::map<std::string, uint64_t> unknown;
  uint64_t reports = 0;
};

void AddFile(Expected& e, const fs::path& path, uint64_t times) {
  auto source = OpenInputFile(path.string());
  ASSERT_TRUE(source.ok());
  pipeline::InputOptions options;
  options.keep_reports = true;
  pipeline::Input input;
  input.log = source->get();
  input.name = path.string();
  const InputResult c = pipeline::AnalyzeInput(input, pipeline::Tools{Pipeline().analyzer, Pipeline().engine}, options);
  ASSERT_TRUE(c.errors.empty()) << c.errors.front();
  const std::vector<CrashReport>& reports = c.analysis.reports;
  std::set<size_t> known;
  for (const rules::Finding& f : c.findings) {
    e.rules[f.rule_id] += times;
    if (f.report) known.insert(*f.report);
    for (size_t i = 0; !f.report && i < reports.size(); ++i) {
      for (const rules::EvidenceLine& l : f.evidence) {
        if (l.line + 3 >= reports[i].line_start && l.line <= reports[i].line_end) known.insert(i);
      }
    }
  }
  for (size_t i = 0; i < reports.size(); ++i) {
    if (known.count(i) == 0) e.unknown[reports[i].signature] += times;
  }
  e.reports += reports.size() * times;
}

std::map<std::string, uint64_t> RuleCounts(const TriageSummary& s) {
  std::map<std::string, uint64_t> m;
  for (const ProblemRow& r : s.known) m[r.rule] = r.count;
  return m;
}
std::map<std::string, uint64_t> UnknownCounts(const TriageSummary& s) {
  std::map<std::string, uint64_t> m;
  for (const SignatureRow& r : s.unknown) m[r.signature] = r.count;
  return m;
}

size_t CountLines(const std::string& jsonl, const std::string& type) {
  size_t n = 0;
  std::istringstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);  // every line is one JSON object
    if (j["type"] == type) ++n;
  }
  return n;
}

// The tree on disk, as a tar.gz (tar), a zip (zip) and a tar inside a tar.xz.
class TriageFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path();
    logs_ = BuildTree(root_ / "tree");
    Shell(root_, "tar czf tree.tar.gz tree");
    Shell(root_, "zip -qr tree.zip tree");
    Shell(root_, "mkdir wrap && tar cf wrap/inner.tar tree && tar cJf nested.tar.xz -C wrap inner.tar");
    paths_ = {(root_ / "tree").string(), (root_ / "tree.tar.gz").string(), (root_ / "tree.zip").string(),
              (root_ / "nested.tar.xz").string()};
  }
  TempDir tmp_;
  fs::path root_;
  std::vector<fs::path> logs_;
  std::vector<std::string> paths_;
};

TEST_F(TriageFleet, SummaryEqualsTheSumOfPerFileResults) {
  Expected expected;
  for (const fs::path& log : logs_) AddFile(expected, log, 4);  // the tree and its three archives
  ASSERT_FALSE(expected.rules.empty());
  ASSERT_FALSE(expected.unknown.empty());

  RunOutput run = Triage(paths_, 2);
  const TriageSummary& s = run.result.summary;
  EXPECT_EQ(run.errors, std::vector<std::string>{});
  EXPECT_EQ(s.logs, 4 * logs_.size());
  EXPECT_EQ(s.dumps, 0u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.skipped.at("binary files"), 4u);
  EXPECT_EQ(s.skipped.at("not kernel logs"), 4u);
  EXPECT_EQ(RuleCounts(s), expected.rules);
  EXPECT_EQ(UnknownCounts(s), expected.unknown);
  EXPECT_EQ(CountLines(run.jsonl, "report"), expected.reports);
  EXPECT_EQ(CountLines(run.jsonl, "input"), 4 * logs_.size() + 8);

  // Hosts come from the path (hosts/<name>/); members are named archive!member.
  std::set<std::string> hosts;
  for (const ProblemRow& r : s.known) hosts.insert(r.hosts.begin(), r.hosts.end());
  EXPECT_TRUE(hosts.count("web1") && hosts.count("web2"));
  EXPECT_NE(run.jsonl.find("\"input\":\"" + (root_ / "nested.tar.xz").string() + "!inner.tar!tree/hosts/web2/kern.log.2.gz\""),
            std::string::npos);
  std::printf("[ triage   ] %zu logs x 4 containers: %zu rules, %zu unknown signatures, %llu reports\n", logs_.size(),
              s.known.size(), s.unknown.size(), static_cast<unsigned long long>(expected.reports));
}

TEST_F(TriageFleet, OutputIsTheSameWhateverTheJobs) {
  RunOutput one = Triage(paths_, 1);
  RunOutput two = Triage(paths_, 2);
  RunOutput three = Triage(paths_, 3);
  ASSERT_GT(one.jsonl.size(), 1000u);
  EXPECT_TRUE(one.jsonl == two.jsonl) << "--jobs 1 and --jobs 2 differ";
  EXPECT_TRUE(one.jsonl == three.jsonl) << "--jobs 1 and --jobs 3 differ";
  EXPECT_EQ(FormatSummary(one.result.summary), FormatSummary(two.result.summary));
}

TEST_F(TriageFleet, SecondRunWithTheHistorySkipsEverything) {
  const std::string db = (root_ / "history.sqlite").string();
  RunOutput first = Triage(paths_, 2, db);
  RunOutput second = Triage(paths_, 2, db);
  const TriageSummary& a = first.result.summary;
  const TriageSummary& b = second.result.summary;
  EXPECT_EQ(a.from_history, 0u);
  const uint64_t units = logs_.size() + 2 + 3;  // files of the tree (logs, blob, notes) and three archives
  EXPECT_EQ(b.from_history, units);
  EXPECT_EQ(CountLines(second.jsonl, "report"), 0u) << "nothing is read again";
  EXPECT_EQ(b.bytes, 0u);
  EXPECT_EQ(a.logs, b.logs);
  EXPECT_EQ(a.skipped, b.skipped);
  EXPECT_EQ(RuleCounts(a), RuleCounts(b));
  EXPECT_EQ(UnknownCounts(a), UnknownCounts(b));
  for (size_t i = 0; i < a.unknown.size() && i < b.unknown.size(); ++i) {
    EXPECT_EQ(a.unknown[i].hosts, b.unknown[i].hosts);
    EXPECT_EQ(a.unknown[i].example, b.unknown[i].example);
    EXPECT_TRUE(a.unknown[i].is_new) << "first seen in the first run";
    EXPECT_FALSE(b.unknown[i].is_new) << "already in the history";
  }
  for (size_t i = 0; i < a.known.size() && i < b.known.size(); ++i) {
    EXPECT_EQ(a.known[i].hosts, b.known[i].hosts);
    EXPECT_EQ(a.known[i].first_seen, b.known[i].first_seen);
    EXPECT_EQ(a.known[i].example, b.known[i].example);
  }
  // A changed input is read again; the rest still comes from the history.
  fs::last_write_time(logs_.front(), fs::last_write_time(logs_.front()) + std::chrono::seconds(10));
  RunOutput third = Triage(paths_, 2, db);
  EXPECT_EQ(third.result.summary.from_history, units - 1);
  EXPECT_EQ(RuleCounts(third.result.summary), RuleCounts(a));
}

TEST(TriageDump, KdumpDirectoryIsOneCrash) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  const fs::path scenario = dumps / "veth-softlockup-kaslr";
  TempDir tmp;
  const fs::path dir = tmp.path() / "var/crash/202611221000";
  fs::create_directories(dir);
  std::error_code ec;
  fs::create_hard_link(scenario / "vmcore.kdump-zlib", dir / "dump.202611221000", ec);
  if (ec) fs::copy_file(scenario / "vmcore.kdump-zlib", dir / "dump.202611221000");
  fs::copy_file(scenario / "console.log", dir / "dmesg.202611221000");
  Shell(tmp.path(), "tar cf kdump.tar var");

  RunOutput alone = Triage({(dir / "dump.202611221000").string()}, 1);
  ASSERT_EQ(alone.result.summary.dumps, 1u);
  ASSERT_FALSE(alone.result.summary.known.empty());

  RunOutput on_disk = Triage({(tmp.path() / "var").string()}, 2);
  EXPECT_EQ(on_disk.result.summary.dumps, 1u);
  EXPECT_EQ(on_disk.result.summary.logs, 0u) << "the dmesg beside the dump is the same crash";
  EXPECT_EQ(RuleCounts(on_disk.result.summary), RuleCounts(alone.result.summary));

  RunOutput archived = Triage({(tmp.path() / "kdump.tar").string()}, 2);
  EXPECT_EQ(archived.errors, std::vector<std::string>{});
  EXPECT_EQ(archived.result.summary.dumps, 1u) << "the dump was copied out of the archive and read";
  EXPECT_EQ(archived.result.summary.logs, 0u);
  EXPECT_EQ(archived.result.summary.superseded, 1u);
  EXPECT_EQ(RuleCounts(archived.result.summary), RuleCounts(alone.result.summary));

  // A dump that cannot be read: its dmesg speaks for the crash.
  const fs::path broken = tmp.path() / "broken/var/crash/202611221001";
  fs::create_directories(broken);
  Write(broken / "dump.202611221001", Slurp(scenario / "vmcore.kdump-zlib").substr(0, 4096));
  fs::copy_file(scenario / "console.log", broken / "dmesg.202611221001");
  RunOutput fallback = Triage({(tmp.path() / "broken").string()}, 1);
  EXPECT_EQ(fallback.result.summary.logs, 1u);
  EXPECT_EQ(fallback.result.summary.dumps, 0u);
  EXPECT_EQ(fallback.result.summary.failed, 0u);
  EXPECT_FALSE(fallback.result.summary.known.empty());
}

TEST(TriageBadInput, PerInputErrorsAndTheRestIsAnalysed) {
  TempDir tmp;
  const fs::path root = tmp.path();
  const std::string warn = Slurp(KTRIAGE_SOURCE_DIR "/corpora/console/debian-6.1-qemu/warn.log");
  const std::string gz = Slurp(KTRIAGE_SOURCE_DIR "/corpora/samples/veth-softlockup.log.gz");
  ASSERT_GT(gz.size(), 2000u);
  Write(root / "in/good/kern.log", warn);
  Write(root / "in/kern.log.1.gz", gz.substr(0, gz.size() / 2));  // a truncated gzip stream
  std::string corrupt = gz;
  for (size_t i = 40; i < corrupt.size(); i += 3) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  Write(root / "in/corrupt.tar", MakeTar({{"a/kern.log", warn}, {"a/messages.gz", corrupt}, {"b/syslog", warn}}));
  Write(root / "in/evil.tar", MakeTar({{"../evil/kern.log", warn}, {"/etc/kern.log", warn}, {"ok/kern.log", warn}}));
  // 200 MB of zeros (a sparse file: no disk) in a tar.gz of 200 KB.
  Shell(root, "mkdir bomb && truncate -s 200M bomb/zeros.log && tar czf in/bomb.tar.gz bomb && rm -r bomb");

  InputLimits limits;
  limits.max_expanded_bytes = 50 << 20;
  RunOutput run = Triage({(root / "in").string()}, 2, "", limits);
  const TriageSummary& s = run.result.summary;
  std::string all;
  for (const std::string& e : run.errors) all += e + "\n";
  auto has = [&](const std::string& name, const std::string& why) {
    for (const std::string& e : run.errors) {
      if (e.find(name) != std::string::npos && e.find(why) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("in/kern.log.1.gz", "truncated")) << all;
  EXPECT_TRUE(has("corrupt.tar!a/messages.gz", "")) << all;
  EXPECT_TRUE(has("evil.tar!../evil/kern.log", "'..'")) << all;
  EXPECT_TRUE(has("evil.tar!/etc/kern.log", "absolute")) << all;
  EXPECT_TRUE(has("bomb.tar.gz!bomb/zeros.log", "--max-expanded")) << all;
  EXPECT_EQ(s.failed, 5u) << all;
  // good/kern.log, corrupt.tar's two good members, evil.tar's ok member, and the first half of
  // the truncated gzip (read up to where it breaks).
  EXPECT_EQ(s.logs, 5u);
  EXPECT_FALSE(s.known.empty());
  // Nothing was written outside the temp dir for the `../` member.
  EXPECT_FALSE(fs::exists(root / "evil"));
}

TEST(TriageHistory, LockedOrCorruptDatabaseIsRefusedBeforeAnyWork) {
  TempDir tmp;
  const std::string db = (tmp.path() / "h.sqlite").string();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "PRAGMA journal_mode=WAL; CREATE TABLE x(y); BEGIN IMMEDIATE; INSERT INTO x VALUES(1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  TriageOptions o;
  o.paths = {KTRIAGE_SOURCE_DIR "/corpora/console/debian-6.1-qemu"};
  o.db_path = db;
  auto locked = RunTriage(o, pipeline::Tools{Pipeline().analyzer, Pipeline().engine});
  ASSERT_FALSE(locked.ok());
  EXPECT_NE(locked.error().message.find("locked"), std::string::npos) << locked.error().message;
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto unlocked = RunTriage(o, pipeline::Tools{Pipeline().analyzer, Pipeline().engine});
  EXPECT_TRUE(unlocked.ok());

  const std::string corrupt = (tmp.path() / "corrupt.sqlite").string();
  Write(corrupt, std::string(8192, 'x'));
  o.db_path = corrupt;
  auto refused = RunTriage(o, pipeline::Tools{Pipeline().analyzer, Pipeline().engine});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not a database"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace ktriage::triage
