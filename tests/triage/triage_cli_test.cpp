// `ktriage triage` through the command table (ktriage_cli, in-process): exit codes, streams,
// the JSON Lines file, the history options.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/triage_command.h"
#include "tests/triage/triage_test_util.h"

namespace ktriage::cli {
namespace {

using ktriage::testing::MakeTar;
using ktriage::testing::Slurp;
using ktriage::testing::TempDir;
using ktriage::testing::Write;
namespace fs = std::filesystem;

using Outcome = ktriage::testing::CliOutcome;
inline Outcome Cli(std::vector<std::string> args) { return ktriage::testing::RunKtriage(std::move(args)); }
const std::string& kConsole = ktriage::testing::kConsoleLogs;

TEST(TriageCli, HelpNamesEveryOption) {
  Outcome o = Cli({"triage", "--help"});
  EXPECT_EQ(o.code, kExitOk);
  for (const char* s : {"Usage: ktriage triage", "--jobs", "--rules", "--db", "--no-db", "--rescan", "--output",
                        "--max-expanded", "--max-ratio", "--max-members", "--max-depth", "Exit status:", "130",
                        "docs/triage.md"}) {
    EXPECT_NE(o.out.find(s), std::string::npos) << s;
  }
  EXPECT_EQ(Cli({"help", "triage"}).out, o.out);
  EXPECT_NE(Cli({"--help"}).out.find("\n  triage "), std::string::npos);
}

TEST(TriageCli, UsageErrors) {
  EXPECT_EQ(Cli({"triage"}).code, kExitUsage);
  EXPECT_EQ(Cli({"triage", "--db", "x", "--no-db", "p"}).code, kExitUsage);
  EXPECT_EQ(Cli({"triage", "--no-db", "--max-expanded", "lots", "p"}).code, kExitUsage);
  EXPECT_EQ(Cli({"triage", "--no-db", "--jobs", "two", "p"}).code, kExitUsage);
}

// The console logs of corpora/console/debian-6.1-qemu: one per dump scenario.
size_t ConsoleLogs() {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kConsole)) n += e.path().extension() == ".log";
  return n;
}

TEST(TriageCli, SummaryAndJsonLines) {
  TempDir tmp;
  const std::string jsonl = (tmp.path() / "out.jsonl").string();
  Outcome o = Cli({"triage", "--no-db", "--jobs", "2", "--output", jsonl, kConsole});
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.err, "");
  EXPECT_NE(o.out.find("Known problems:"), std::string::npos);
  EXPECT_NE(o.out.find("net.veth.softlockup-skb-tx-hash"), std::string::npos);
  std::istringstream in(Slurp(jsonl));
  size_t inputs = 0, reports = 0, findings = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::ordered_json::parse(line);
    EXPECT_EQ(j.begin().key(), "type");
    if (j["type"] == "input") ++inputs;
    if (j["type"] == "report") {
      ++reports;
      EXPECT_TRUE(j.contains("signature") && j.contains("frames") && j.contains("host"));
    }
    if (j["type"] == "finding") {
      ++findings;
      EXPECT_TRUE(j.contains("rule") && j.contains("evidence"));
    }
  }
  EXPECT_EQ(inputs, ConsoleLogs());
  EXPECT_GT(reports, ConsoleLogs());
  EXPECT_GT(findings, ConsoleLogs());
}

// docs/json.md, as tests/output/json_doc_test.cpp reads it: heading -> field names of its table.
std::map<std::string, std::vector<std::string>> DocumentedFields() {
  std::ifstream in(KTRIAGE_SOURCE_DIR "/docs/json.md");
  std::map<std::string, std::vector<std::string>> fields;
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) {
      section = line.substr(line.find(' ') + 1);
    } else if (line.rfind("| `", 0) == 0) {
      fields[section].push_back(line.substr(3, line.find('`', 3) - 3));
    }
  }
  return fields;
}

TEST(TriageCli, JsonLinesMatchDocsJsonMd) {
  TempDir tmp;
  const std::string jsonl = (tmp.path() / "out.jsonl").string();
  const std::string db = (tmp.path() / "h.sqlite").string();
  ASSERT_EQ(Cli({"triage", "--db", db, "--output", jsonl, kConsole}).code, kExitOk);
  auto doc = DocumentedFields();
  const std::vector<std::string> leading = doc["`ktriage triage --output` (JSON Lines)"];
  ASSERT_EQ(leading, (std::vector<std::string>{"type", "input", "host", "time"}));
  auto with_leading = [&](const std::vector<std::string>& rest) {
    std::vector<std::string> all = leading;
    all.insert(all.end(), rest.begin(), rest.end());
    return all;
  };
  std::map<std::string, std::vector<std::string>> seen;
  std::istringstream in(Slurp(jsonl));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::ordered_json::parse(line);
    std::vector<std::string> keys;
    for (const auto& item : j.items()) keys.push_back(item.key());
    seen[j["type"]] = keys;
  }
  EXPECT_EQ(seen["input"], with_leading(doc["triage input"]));
  EXPECT_EQ(seen["report"], with_leading(doc["report"]));
  EXPECT_EQ(seen["finding"], with_leading(doc["finding"]));
  ASSERT_EQ(Cli({"triage", "--db", db, "--output", jsonl, kConsole}).code, kExitOk);
  auto remembered = nlohmann::ordered_json::parse(Slurp(jsonl).substr(0, Slurp(jsonl).find('\n')));
  std::vector<std::string> keys;
  for (const auto& item : remembered.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, with_leading(doc["triage remembered input"]));
}

TEST(TriageCli, FailedInputsExitOneAndTheRestIsSummarised) {
  TempDir tmp;
  const std::string warn = Slurp(kConsole + "/warn.log");
  Write(tmp.path() / "logs/kern.log", warn);
  Write(tmp.path() / "logs/evil.tar", MakeTar({{"../evil", warn}}));
  Write(tmp.path() / "logs/missing-link", "");
  fs::remove(tmp.path() / "logs/missing-link");
  fs::create_symlink("nowhere", tmp.path() / "logs/missing-link");
  Outcome o = Cli({"triage", "--no-db", (tmp.path() / "logs").string(), (tmp.path() / "absent.log").string()});
  EXPECT_EQ(o.code, kExitInputError);
  EXPECT_NE(o.err.find("ktriage: " + (tmp.path() / "logs/evil.tar").string() + "!../evil: "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("ktriage: " + (tmp.path() / "absent.log").string() + ": No such file or directory"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.out.find("kernel.panic.panic-on-warn"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("1 dangling symbolic links"), std::string::npos) << o.out;
}

TEST(TriageCli, LockedHistoryExitsTwoBeforeReadingAnything) {
  TempDir tmp;
  const std::string db = (tmp.path() / "h.sqlite").string();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "PRAGMA journal_mode=WAL; CREATE TABLE x(y); BEGIN IMMEDIATE; INSERT INTO x VALUES(1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  const std::string jsonl = (tmp.path() / "out.jsonl").string();
  Outcome o = Cli({"triage", "--db", db, "--output", jsonl, kConsole});
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("locked"), std::string::npos) << o.err;
  EXPECT_EQ(Slurp(jsonl), "");

  Outcome first = Cli({"triage", "--db", db, kConsole});
  Outcome second = Cli({"triage", "--db", db, kConsole});
  EXPECT_EQ(first.code, kExitOk) << first.err;
  EXPECT_EQ(second.code, kExitOk) << second.err;
  EXPECT_NE(second.out.find("History: " + std::to_string(ConsoleLogs()) + " inputs unchanged"), std::string::npos)
      << second.out;
  Outcome rescan = Cli({"triage", "--db", db, "--rescan", kConsole});
  EXPECT_EQ(rescan.out.find("History:"), std::string::npos) << rescan.out;
}

}  // namespace
}  // namespace ktriage::cli
