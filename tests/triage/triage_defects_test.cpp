// The six defects a hostile or unlucky user found (issue 15), each pinned by a test that failed
// before its fix: nothing lost, nothing unbounded, outputs never over inputs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "analyzer/pipeline/input_pipeline.h"
#include "analyzer/triage/triage.h"
#include "rules/rule_loader.h"
#include "tests/triage/triage_test_util.h"

namespace ktriage::triage {
namespace {

using ktriage::testing::MakeTar;
using ktriage::testing::RunKtriage;
using ktriage::testing::Shell;
using ktriage::testing::Slurp;
using ktriage::testing::TempDir;
using ktriage::testing::Write;
namespace fs = std::filesystem;

const std::string kSample = KTRIAGE_SOURCE_DIR "/corpora/samples/veth-softlockup.log";
constexpr const char* kVethRule = "net.veth.softlockup-skb-tx-hash";

pipeline::Tools ShippedTools() {
  static const pipeline::Tools tools = [] {
    auto a = LogAnalyzer::Create();
    EXPECT_TRUE(a.ok());
    auto e = rules::RuleEngine::Create(rules::LoadRules({KTRIAGE_SOURCE_DIR "/rules/shipped"}).rules);
    EXPECT_TRUE(e.ok());
    return pipeline::Tools{*a, *e};
  }();
  return tools;
}

struct RunResult {
  TriageResult result;
  std::string jsonl;
  std::vector<std::string> errors, skipped;
};

RunResult Triage(const std::vector<std::string>& paths, const std::string& db = "",
           const std::atomic<bool>* interrupted = nullptr, std::function<void()> on_skip = nullptr) {
  std::ostringstream jsonl;
  RunResult run;
  TriageOptions o;
  o.paths = paths;
  o.jobs = 2;
  o.db_path = db;
  o.jsonl = &jsonl;
  o.temp_dir = fs::temp_directory_path().string();
  o.interrupted = interrupted;
  o.on_error = [&](const std::string& e) { run.errors.push_back(e); };
  o.on_skip = [&](const std::string& name, const std::string& reason) {
    run.skipped.push_back(name + ": " + reason);
    if (on_skip) on_skip();
  };
  auto r = RunTriage(o, ShippedTools());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (r.ok()) run.result = std::move(*r);
  run.jsonl = jsonl.str();
  return run;
}

uint64_t Findings(const TriageSummary& s, const std::string& rule) {
  for (const ProblemRow& r : s.known) {
    if (r.rule == rule) return r.count;
  }
  return 0;
}

// 2. What logrotate's copytruncate + compress leaves after a crash: NUL bytes, then the log.
TEST(Issue15, NulPaddedLogsAreAnalysedPlainCompressedAndArchived) {
  TempDir tmp;
  const std::string padded = std::string(8192, '\0') + Slurp(kSample);
  Write(tmp.path() / "a/kern.log", padded);
  Write(tmp.path() / "b/kern.log.2", padded);
  Shell(tmp.path() / "b", "gzip kern.log.2");
  Write(tmp.path() / "c/host.tar", MakeTar({{"var/log/kern.log", padded}}));
  Shell(tmp.path() / "c", "gzip host.tar");
  // A padding larger than the sniffing window of old: 1 MiB of NULs, then the log, in zstd.
  Write(tmp.path() / "d/kern.log.3", std::string(1 << 20, '\0') + Slurp(kSample));
  Shell(tmp.path() / "d", "zstd -q --rm kern.log.3");
  RunResult run = Triage({tmp.path().string()});
  EXPECT_EQ(run.result.summary.logs, 4u) << run.jsonl;
  EXPECT_EQ(Findings(run.result.summary, kVethRule), 4u) << run.jsonl;
  EXPECT_TRUE(run.skipped.empty()) << run.skipped.front();
  EXPECT_TRUE(run.errors.empty()) << run.errors.front();
}

// 2, the rest of it: an empty archive is named, never dropped without a line.
TEST(Issue15, NothingFoundIsDroppedWithoutALine) {
  TempDir tmp;
  Write(tmp.path() / "empty.tar", MakeTar({}));
  Write(tmp.path() / "zeros.gz", "");
  Shell(tmp.path(), "head -c 100000 /dev/zero | gzip > zeros.gz");
  RunResult run = Triage({tmp.path().string()});
  const TriageSummary& s = run.result.summary;
  uint64_t skipped = 0;
  for (const auto& [reason, n] : s.skipped) skipped += n;
  EXPECT_EQ(s.logs + s.dumps + s.failed + skipped, 2u) << run.jsonl;
  EXPECT_EQ(run.skipped.size() + run.errors.size() + s.logs, 2u) << run.jsonl;
}

// 3. An output that names an input, or another output: refused before anything is read (exit 2),
// the input intact; an unwritable output exits 1 naming the file; a refused run leaves the
// output that was there.
TEST(Issue15, OutputsNeverClobberInputsOrEachOther) {
  TempDir tmp;
  const std::string in = (tmp.path() / "in.log").string();
  Write(in, Slurp(kSample));
  const std::string before = Slurp(in);
  auto r = RunKtriage({"triage", "--no-db", "-o", in, in});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--output " + in + " is the input " + in), std::string::npos) << r.err;
  EXPECT_EQ(Slurp(in), before);
  r = RunKtriage({"triage", "--no-db", "--html", in, in});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Slurp(in), before);
  const std::string out = (tmp.path() / "x.out").string();
  r = RunKtriage({"triage", "--no-db", "-o", out, "--html", out, in});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--html " + out + " is also --output " + out), std::string::npos) << r.err;
  r = RunKtriage({"triage", "--no-db", "-o", (tmp.path() / "no/such/dir/x.jsonl").string(), in});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("no/such/dir/x.jsonl: cannot write"), std::string::npos) << r.err;
  r = RunKtriage({"triage", "--no-db", "-o", "/dev/full", in});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("/dev/full: error writing: No space left on device"), std::string::npos) << r.err;
  // A run refused (its history is locked) does not touch the output of the run before.
  const std::string jsonl = (tmp.path() / "fleet.jsonl").string();
  Write(jsonl, "the previous run's lines\n");
  const std::string db = (tmp.path() / "h.sqlite").string();
  const int lock = ::open(db.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(lock, 0);
  ASSERT_EQ(::flock(lock, LOCK_EX), 0);
  r = RunKtriage({"triage", "--db", db, "-o", jsonl, in});
  ::close(lock);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Slurp(jsonl), "the previous run's lines\n");
  // An earlier output inside an input directory is not read as an input.
  r = RunKtriage({"triage", "--no-db", "-o", jsonl, tmp.path().string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find(jsonl + ": skipped (ktriage's own outputs)"), std::string::npos) << r.err;
  EXPECT_NE(Slurp(jsonl).find("\"type\":\"input\""), std::string::npos);
}

// 4. More reports than the rules hold (and more than the 4,096 lines a pattern kept before): one
// finding each, in analyze and in triage; none counted as an unknown crash.
TEST(Issue15, FindingsAreNotCapped) {
  constexpr int kReports = 7392;
  std::string log;
  char line[256];
  for (int i = 0; i < kReports; ++i) {
    const double t = 10.0 + i;
    std::snprintf(line, sizeof line, "[%12.6f] ktriage-test: trigger %d\n", t, i);
    log += line;
    std::snprintf(line, sizeof line,
                  "[%12.6f] WARNING: CPU: 0 PID: %d at drivers/test/flood.c:42 flood_tick+0x10/0x40 [flood]\n", t, 100 + i);
    log += line;
    std::snprintf(line, sizeof line, "[%12.6f] Call Trace:\n[%12.6f]  flood_tick+0x10/0x40 [flood]\n"
                  "[%12.6f]  process_one_work+0x1c4/0x380\n[%12.6f] ---[ end trace %016x ]---\n",
                  t, t, t, t, i);
    log += line;
  }
  const std::string rules_yaml = R"yaml(rules:
  - id: test.flood.warning
    title: a flood warning right after its trigger
    severity: low
    summary: "flood {n}"
    match:
      all:
        - report: {kind: warning, frames: {any: [flood_tick]}}
        - line:
            pattern: 'ktriage-test: trigger (?P<n>\d+)'
            within: {lines: 2}
)yaml";
  rules::LoadedRules loaded = rules::LoadRulesFromText(rules_yaml, "flood.yaml");
  ASSERT_TRUE(loaded.diagnostics.empty()) << loaded.diagnostics.front().ToString();
  auto engine = rules::RuleEngine::Create(loaded.rules);
  ASSERT_TRUE(engine.ok());
  pipeline::Tools tools{ShippedTools().reports, *engine};
  auto source = MemoryInput(log, "flood.log");
  pipeline::Input input;
  input.name = "flood.log";
  input.log = source.get();
  size_t streamed = 0;
  std::set<std::string> numbers;
  pipeline::InputHooks hooks;
  hooks.finding = [&](rules::Finding&& f) {
    ++streamed;
    numbers.insert(f.fields["n"]);
  };
  InputResult result = pipeline::AnalyzeInput(input, tools, {}, hooks);
  EXPECT_EQ(result.report_count, static_cast<size_t>(kReports));
  for (const rules::Finding& f : result.findings) numbers.insert(f.fields.at("n"));
  EXPECT_EQ(streamed + result.findings.size(), static_cast<size_t>(kReports));
  // Each report found its own trigger line, the last ones too (the lines kept slide).
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kReports));

  // analyze: the findings of the reports evaluated early waited (past 1 MiB, in a temp file) for
  // the end of the reports, and all are in the document.
  TempDir tmp;
  Write(tmp.path() / "flood.log", log);
  Write(tmp.path() / "rules/flood.yaml", rules_yaml);
  auto a = RunKtriage({"analyze", "--format", "json", "--rules", (tmp.path() / "rules").string(),
                       (tmp.path() / "flood.log").string()});
  EXPECT_EQ(a.code, 0) << a.err;
  const nlohmann::json doc = nlohmann::json::parse(a.out);
  EXPECT_EQ(doc["inputs"][0]["reports"].size(), static_cast<size_t>(kReports));
  EXPECT_EQ(doc["inputs"][0]["findings"].size(), static_cast<size_t>(kReports));
  auto t = RunKtriage({"analyze", "--color", "never", "--rules", (tmp.path() / "rules").string(),
                       (tmp.path() / "flood.log").string()});
  size_t known = 0;
  for (size_t at = t.out.find("known problem [low] test.flood.warning"); at != std::string::npos;
       at = t.out.find("known problem [low] test.flood.warning", at + 1)) {
    ++known;
  }
  EXPECT_EQ(known, static_cast<size_t>(kReports));

  // triage with the same rules: every report known, none an unknown crash; the JSON Lines (past
  // 256 KiB, in a temp file while they waited) hold every report and finding.
  const std::string jsonl = (tmp.path() / "out.jsonl").string();
  auto r = RunKtriage({"triage", "--no-db", "-o", jsonl, "--rules", (tmp.path() / "rules").string(),
                       (tmp.path() / "flood.log").string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("7392 x test.flood.warning"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Unknown crashes (no rule): 0 signatures, 0 reports"), std::string::npos) << r.out;
  const std::string lines = Slurp(jsonl);
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = lines.find(what); at != std::string::npos; at = lines.find(what, at + 1)) ++n;
    return n;
  };
  const size_t reports = count("{\"type\":\"report\"");
  const size_t findings = count("{\"type\":\"finding\"");
  EXPECT_EQ(reports, static_cast<size_t>(kReports));
  EXPECT_EQ(findings, static_cast<size_t>(kReports));
}

// The limits that stop an input name it and their option; what came before still counts.
TEST(Issue15, LimitsThatStopAnInputNameTheOption) {
  TempDir tmp;
  const std::string log = Slurp(kSample);
  std::string big;
  for (int i = 0; i < 40; ++i) big += log;  // 1.5 MB
  Write(tmp.path() / "big/kern.log", big);
  Shell(tmp.path() / "big", "gzip kern.log");
  auto r = RunKtriage({"triage", "--no-db", "--max-expanded", "1M", (tmp.path() / "big").string()});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("kern.log.gz: expands past the limit of 1048576 bytes (--max-expanded)"), std::string::npos) << r.err;
  // Archives inside archives, five deep: the fifth is not read.
  std::string nested = MakeTar({{"var/log/kern.log", log}});
  for (int level = 4; level >= 1; --level) nested = MakeTar({{"a" + std::to_string(level + 1) + ".tar", nested}});
  Write(tmp.path() / "deep/a1.tar", nested);
  r = RunKtriage({"triage", "--no-db", (tmp.path() / "deep").string()});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("(--max-depth)"), std::string::npos) << r.err;
  // A report of more lines than a report may hold is cut, and says so.
  std::string flood = "[    1.000000] BUG: unable to handle page fault for address: 0000000000001234\n"
                      "[    1.000000] Call Trace:\n";
  for (int i = 0; i < 2500; ++i) flood += "[    1.000000]  flood_" + std::to_string(i) + "+0x10/0x40\n";
  auto source = MemoryInput(flood, "long.log");
  pipeline::Input input;
  input.log = source.get();
  pipeline::InputOptions options;
  options.keep_reports = true;
  InputResult result = pipeline::AnalyzeInput(input, pipeline::Tools{ShippedTools().reports, nullptr}, options);
  ASSERT_EQ(result.analysis.reports.size(), 1u);
  EXPECT_TRUE(result.analysis.reports[0].corrupted) << "a cut report is marked corrupted";
  EXPECT_EQ(result.analysis.reports[0].text.size(), 2000u);
}

// 5. A special file named on the command line (a FIFO, `<(...)`) is read as a stream.
TEST(Issue15, NamedFifoIsReadAsAStream) {
  TempDir tmp;
  const std::string fifo = (tmp.path() / "stream").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    const std::string text = Slurp(kSample);
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    for (size_t at = 0; at < text.size();) {
      const ssize_t put = ::write(fd, text.data() + at, text.size() - at);
      if (put <= 0) break;
      at += static_cast<size_t>(put);
    }
    ::close(fd);
  });
  RunResult run = Triage({fifo});
  writer.join();
  EXPECT_EQ(run.result.summary.logs, 1u) << run.jsonl;
  EXPECT_EQ(Findings(run.result.summary, kVethRule), 1u) << run.jsonl;
  EXPECT_TRUE(run.skipped.empty());
}

int64_t Scalar(const std::string& db, const char* sql) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

// 6. One writer from the first moment: a second run is refused while the first holds the
// history; an interrupted run's summary counts exactly what the database kept.
TEST(Issue15, HistoryHasOneWriterAndAnInterruptedRunAgreesWithIt) {
  TempDir tmp;
  const std::string db = (tmp.path() / "h.sqlite").string();
  const int lock = ::open(db.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(lock, 0);
  ASSERT_EQ(::flock(lock, LOCK_EX), 0);
  TriageOptions o;
  o.paths = {kSample};
  o.db_path = db;
  auto refused = RunTriage(o, ShippedTools());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("locked"), std::string::npos) << refused.error().message;
  ::close(lock);

  // Files walked in name order: a binary file first (its skip stops the run), then 200 logs in
  // two archives and as files; Ctrl-C lands while the rest is in flight.
  const std::string log = Slurp(kSample);
  Write(tmp.path() / "in/0-binary", std::string("\x7f\x01\x02\x00\x00", 5) + std::string(10000, '\x01'));
  for (int i = 0; i < 200; ++i) Write(tmp.path() / ("in/host" + std::to_string(100 + i) + "/kern.log"), log);
  std::atomic<bool> interrupted{false};
  RunResult run = Triage({(tmp.path() / "in").string()}, db, &interrupted, [&] { interrupted = true; });
  EXPECT_TRUE(run.result.interrupted);
  const int64_t kept = Scalar(db, "SELECT coalesce(sum(logs), 0) FROM inputs");
  EXPECT_EQ(static_cast<int64_t>(run.result.summary.logs), kept);
  EXPECT_LT(kept, 200);
  // The next run reads again what the first did not finish (kept without a content hash), and
  // every log is counted once.
  const int64_t finished = Scalar(db, "SELECT count(*) FROM inputs WHERE logs = 1 AND hash != ''");
  RunResult rest = Triage({(tmp.path() / "in").string()}, db);
  EXPECT_EQ(Scalar(db, "SELECT coalesce(sum(logs), 0) FROM inputs"), 200);
  EXPECT_EQ(static_cast<int64_t>(rest.result.summary.logs), 200 - finished) << rest.jsonl;
}

}  // namespace
}  // namespace ktriage::triage
