// `ktriage triage --shard I/N`, `ktriage merge` and `ktriage history` through the command table
// (in-process), over trees and archives built from the real corpora.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "analyzer/cli/commands.h"
#include "tests/triage/triage_test_util.h"
#include "analyzer/triage/shard.h"

namespace ktriage::cli {
namespace {

using ktriage::testing::BuildTree;
using ktriage::testing::MakeTar;
using ktriage::testing::Slurp;
using ktriage::testing::TempDir;
using ktriage::testing::Write;
namespace fs = std::filesystem;

using Outcome = ktriage::testing::CliOutcome;
inline Outcome Cli(std::vector<std::string> args) { return ktriage::testing::RunKtriage(std::move(args)); }
const std::string& kConsole = ktriage::testing::kConsoleLogs;

// type -> count, and the names of the inputs, of a JSON Lines file.
struct Lines {
  std::map<std::string, size_t> types;
  std::vector<std::string> inputs;
};

Lines ReadLines(const fs::path& path) {
  Lines l;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    ++l.types[j["type"].get<std::string>()];
    if (j["type"] == "input") l.inputs.push_back(j["input"].get<std::string>());
  }
  return l;
}

// The fleet tree plus an archive whose members are logs and a kdump directory's two parts.
void BuildFleet(const fs::path& root) {
  BuildTree(root);
  std::vector<std::pair<std::string, std::string>> members;
  for (const char* name : {"hung-task.log", "null-deref.log", "warn.log", "sysrq.log"}) {
    members.emplace_back(std::string("hosts/db1/var/log/") + name, Slurp(fs::path(kConsole) / name));
  }
  members.emplace_back("var/crash/202611221000/dmesg.202611221000", Slurp(fs::path(kConsole) / "null-deref.log"));
  members.emplace_back("var/crash/202611221000/dump.202611221000", "not really a dump\n");
  Write(root / "collect/fleet.tar", MakeTar(members));
}

TEST(TriageShard, KdumpPartsShareAShard) {
  for (uint32_t n : {2u, 3u, 7u, 16u}) {
    EXPECT_EQ(triage::ShardOf("a.tar!var/crash/2026/dump.2026", n), triage::ShardOf("a.tar!var/crash/2026/dmesg.2026", n));
    EXPECT_EQ(triage::ShardOf("/x/var/crash/10.0.0.1-2026/vmcore", n),
              triage::ShardOf("/x/var/crash/10.0.0.1-2026/vmcore-dmesg.txt", n));
  }
  // Stable: the same name always hashes to the same shard (FNV-1a, not std::hash).
  EXPECT_EQ(triage::ShardOf("hosts/web1/kern.log", 3), triage::ShardOf("hosts/web1/kern.log", 3));
  std::set<uint32_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(triage::ShardOf("log" + std::to_string(i), 3));
  EXPECT_EQ(seen, (std::set<uint32_t>{1, 2, 3}));
}

TEST(TriageShard, BadShardIsAUsageError) {
  for (const char* bad : {"0/3", "4/3", "x/y", "1/0", "3", "1/3x", "-1/3", ""}) {
    Outcome o = Cli({"triage", "--no-db", "--shard", bad, kConsole});
    EXPECT_EQ(o.code, kExitUsage) << bad;
    EXPECT_EQ(o.out, "") << bad;
  }
  EXPECT_TRUE(triage::ParseShard("3/3"));
  EXPECT_TRUE(triage::ParseShard("1/1"));
}

TEST(TriageShard, ShardsPartitionTheInputsAndMergeEqualsOneRun) {
  TempDir dir;
  const fs::path root = dir.path() / "fleet";
  BuildFleet(root);
  const fs::path all = dir.path() / "all.jsonl";
  Outcome one = Cli({"triage", "--no-db", "--jobs", "2", "--output", all.string(), root.string()});
  ASSERT_EQ(one.code, kExitOk) << one.err;
  const Lines whole = ReadLines(all);
  ASSERT_GT(whole.types.at("report"), 10u);
  ASSERT_GT(whole.types.at("finding"), 5u);

  std::vector<std::string> merge_args = {"merge"};
  std::multiset<std::string> sharded_inputs;
  std::map<std::string, size_t> sharded_types;
  for (int i = 1; i <= 3; ++i) {
    const fs::path out = dir.path() / ("shard" + std::to_string(i) + ".jsonl");
    Outcome s = Cli({"triage", "--no-db", "--jobs", "2", "--shard", std::to_string(i) + "/3", "--output", out.string(),
                     root.string()});
    ASSERT_EQ(s.code, kExitOk) << s.err;
    const Lines part = ReadLines(out);
    EXPECT_GT(part.inputs.size(), 0u) << "shard " << i << " is empty";
    EXPECT_LT(part.inputs.size(), whole.inputs.size()) << "shard " << i << " read everything";
    sharded_inputs.insert(part.inputs.begin(), part.inputs.end());
    for (const auto& [type, n] : part.types) sharded_types[type] += n;
    merge_args.push_back(out.string());
  }
  // A partition: every input in exactly one shard.
  EXPECT_EQ(sharded_inputs, std::multiset<std::string>(whole.inputs.begin(), whole.inputs.end()));
  for (const std::string& name : whole.inputs) EXPECT_EQ(sharded_inputs.count(name), 1u) << name;
  EXPECT_EQ(sharded_types, whole.types);

  const fs::path merged = dir.path() / "merged.jsonl";
  merge_args.push_back("--output");
  merge_args.push_back(merged.string());
  Outcome m = Cli(merge_args);
  ASSERT_EQ(m.code, kExitOk) << m.err;
  EXPECT_EQ(m.out, one.out);  // byte-identical summary
  EXPECT_EQ(ReadLines(merged).types, whole.types);
  EXPECT_NE(m.out.find("Known problems:"), std::string::npos);
}

TEST(TriageShard, MergeWithTheShardsDatabasesMarksNewAsOneRun) {
  TempDir dir;
  const fs::path root = dir.path() / "fleet";
  BuildFleet(root);
  Outcome one = Cli({"triage", "--db", (dir.path() / "one.sqlite").string(), "--jobs", "2", root.string()});
  ASSERT_EQ(one.code, kExitOk) << one.err;
  ASSERT_NE(one.out.find(" new\n"), std::string::npos);
  std::vector<std::string> files, dbs;
  for (int i = 1; i <= 3; ++i) {
    const std::string n = std::to_string(i);
    files.push_back((dir.path() / ("s" + n + ".jsonl")).string());
    dbs.push_back((dir.path() / ("s" + n + ".sqlite")).string());
    Outcome s = Cli({"triage", "--db", dbs.back(), "--shard", n + "/3", "--output", files.back(), root.string()});
    ASSERT_EQ(s.code, kExitOk) << s.err;
  }
  std::vector<std::string> args = {"merge"};
  args.insert(args.end(), files.begin(), files.end());
  args.push_back("--from-db");
  args.insert(args.end(), dbs.begin(), dbs.end());
  const std::string merged_db = (dir.path() / "merged.sqlite").string();
  std::vector<std::string> with_db = args;
  with_db.push_back("--db");
  with_db.push_back(merged_db);
  Outcome m = Cli(with_db);
  ASSERT_EQ(m.code, kExitOk) << m.err;
  EXPECT_EQ(m.out, one.out);
  EXPECT_EQ(Cli(with_db).code, kExitUsage);  // never overwrites a database
  // The merged history holds what the unsharded one holds.
  const Outcome top_one = Cli({"history", "--db", (dir.path() / "one.sqlite").string(), "top", "50"});
  const Outcome top_merged = Cli({"history", "--db", merged_db, "top", "50"});
  ASSERT_EQ(top_merged.code, kExitOk) << top_merged.err;
  EXPECT_EQ(top_merged.out, top_one.out);

  // Second runs: the shards' histories remember everything; merged with the databases, the
  // summary is the unsharded second run's.
  Outcome again = Cli({"triage", "--db", (dir.path() / "one.sqlite").string(), root.string()});
  ASSERT_EQ(again.code, kExitOk) << again.err;
  for (int i = 1; i <= 3; ++i) {
    Outcome s = Cli({"triage", "--db", dbs[i - 1], "--shard", std::to_string(i) + "/3", "--output", files[i - 1],
                     root.string()});
    ASSERT_EQ(s.code, kExitOk) << s.err;
  }
  Outcome m2 = Cli(args);
  ASSERT_EQ(m2.code, kExitOk) << m2.err;
  EXPECT_EQ(m2.out, again.out);
  // The merged database serves the next unsharded run: everything unchanged, nothing new.
  Outcome from_merged = Cli({"triage", "--db", merged_db, root.string()});
  ASSERT_EQ(from_merged.code, kExitOk) << from_merged.err;
  EXPECT_EQ(from_merged.out, again.out);
  // Without the databases, remembered inputs cannot be counted: said, and exit 1.
  Outcome blind = Cli({"merge", files[0], files[1], files[2]});
  EXPECT_EQ(blind.code, kExitInputError);
  EXPECT_NE(blind.err.find("--from-db"), std::string::npos);
}

TEST(TriageShard, MergeUsageAndBadFiles) {
  EXPECT_EQ(Cli({"merge"}).code, kExitUsage);
  TempDir dir;
  Write(dir.path() / "junk.jsonl", "not json\n");
  Outcome o = Cli({"merge", (dir.path() / "junk.jsonl").string(), (dir.path() / "missing.jsonl").string()});
  EXPECT_EQ(o.code, kExitInputError);
  EXPECT_NE(o.err.find("junk.jsonl:1"), std::string::npos);
  EXPECT_NE(o.err.find("missing.jsonl: cannot be read"), std::string::npos);
  EXPECT_EQ(Cli({"merge", "a.jsonl", "--from-db", "a.sqlite", "b.sqlite"}).code, kExitUsage);
  EXPECT_NE(Cli({"--help"}).out.find("\n  merge "), std::string::npos);
}

class TriageHistoryCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    // A real run over the QEMU console logs and a subset of the syzkaller reports.
    const fs::path syz = KTRIAGE_SOURCE_DIR "/corpora/syzkaller-report";
    std::vector<fs::path> reports;
    for (const auto& e : fs::directory_iterator(syz)) {
      if (e.path().filename() != "README.md") reports.push_back(e.path());
    }
    std::sort(reports.begin(), reports.end());
    for (size_t i = 0; i < reports.size() && i < 30; ++i) {
      fs::create_directories(dir_.path() / "hosts/syz");
      fs::copy_file(reports[i], dir_.path() / "hosts/syz" / ("dmesg-" + reports[i].filename().string() + ".log"));
    }
    for (const auto& e : fs::directory_iterator(kConsole)) {
      if (e.path().extension() != ".log") continue;
      fs::create_directories(dir_.path() / "hosts/qemu1");
      fs::copy_file(e.path(), dir_.path() / "hosts/qemu1" / e.path().filename());
    }
    db_ = (dir_.path() / "h.sqlite").string();
    Outcome run = Cli({"triage", "--db", db_, "--jobs", "2", (dir_.path() / "hosts").string()});
    ASSERT_EQ(run.code, kExitOk) << run.err;
  }

  // signature -> count, straight from the database.
  std::vector<std::pair<std::string, int64_t>> Counts() {
    std::vector<std::pair<std::string, int64_t>> out;
    sqlite3* db = nullptr;
    sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT signature, count FROM signatures ORDER BY count DESC, signature", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(TriageHistoryCommand, TopNewAndSignature) {
  const auto counts = Counts();
  ASSERT_GE(counts.size(), 5u);
  Outcome top = Cli({"history", "--db", db_, "top", "3"});
  ASSERT_EQ(top.code, kExitOk) << top.err;
  EXPECT_NE(top.out.find("Top 3 signatures by count:"), std::string::npos) << top.out;
  size_t at = 0;
  for (size_t i = 0; i < 3; ++i) {
    const size_t p = top.out.find("signature " + counts[i].first, at);
    EXPECT_NE(p, std::string::npos) << counts[i].first << "\n" << top.out;
    at = p == std::string::npos ? at : p;
  }
  EXPECT_EQ(top.out.find("signature " + counts[3].first), std::string::npos);
  EXPECT_NE(top.out.find(std::to_string(counts[0].second) + " x "), std::string::npos);

  Outcome json = Cli({"history", "--db", db_, "--format", "json", "top"});
  ASSERT_EQ(json.code, kExitOk) << json.err;
  nlohmann::json a = nlohmann::json::parse(json.out);
  ASSERT_EQ(a.size(), std::min<size_t>(10, counts.size()));
  EXPECT_EQ(a[0]["signature"], counts[0].first);
  EXPECT_EQ(a[0]["count"], counts[0].second);

  Outcome all_new = Cli({"history", "--db", db_, "--format", "json", "new", "--since", "2000-01-01"});
  ASSERT_EQ(all_new.code, kExitOk) << all_new.err;
  EXPECT_EQ(nlohmann::json::parse(all_new.out).size(), counts.size());
  Outcome none_new = Cli({"history", "--db", db_, "new", "--since", "2100-01-01"});
  ASSERT_EQ(none_new.code, kExitOk) << none_new.err;
  EXPECT_NE(none_new.out.find("0 signatures first seen since 2100-01-01 00:00:00Z"), std::string::npos) << none_new.out;

  // A signature seen on the syzkaller "host": its hosts and an example input.
  Outcome sig = Cli({"history", "--db", db_, "--format", "json", "signature", counts[0].first});
  ASSERT_EQ(sig.code, kExitOk) << sig.err;
  nlohmann::json s = nlohmann::json::parse(sig.out);
  EXPECT_EQ(s["count"], counts[0].second);
  ASSERT_FALSE(s["examples"].empty());
  EXPECT_NE(s["examples"][0].get<std::string>().find(dir_.path().string()), std::string::npos);
  uint64_t host_sightings = 0;
  for (const auto& h : s["hosts"]) host_sightings += h["count"].get<uint64_t>();
  EXPECT_LE(host_sightings, static_cast<uint64_t>(counts[0].second));
  Outcome text = Cli({"history", "--db", db_, "signature", counts[0].first});
  EXPECT_NE(text.out.find("example: "), std::string::npos);

  EXPECT_EQ(Cli({"history", "--db", db_, "signature", "0000000000000000"}).code, kExitInputError);
}

TEST_F(TriageHistoryCommand, UsageErrors) {
  EXPECT_EQ(Cli({"history", "--db", db_}).code, kExitUsage);
  EXPECT_EQ(Cli({"history", "--db", db_, "new"}).code, kExitUsage);
  EXPECT_EQ(Cli({"history", "--db", db_, "new", "--since", "yesterday"}).code, kExitUsage);
  EXPECT_EQ(Cli({"history", "--db", db_, "top", "x"}).code, kExitUsage);
  EXPECT_EQ(Cli({"history", "--db", db_, "bottom"}).code, kExitUsage);
  EXPECT_EQ(Cli({"history", "--db", db_, "--format", "xml", "top"}).code, kExitUsage);
  EXPECT_EQ(Cli({"history", "--db", (dir_.path() / "none.sqlite").string(), "top"}).code, kExitUsage);
  EXPECT_NE(Cli({"--help"}).out.find("\n  history "), std::string::npos);
}

}  // namespace
}  // namespace ktriage::cli
