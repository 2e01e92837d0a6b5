// docs/json.md is the contract: its field tables must list exactly the keys WriteJson writes,
// in the order it writes them, so that the document cannot drift from the code.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analyzer/output/analysis_output.h"
#include "tests/output/report_fixtures.h"

namespace ktriage {
namespace {

using nlohmann::ordered_json;

// Section heading ("## The document", "### report") -> the `field` names of its table rows.
std::map<std::string, std::vector<std::string>> DocumentedFields() {
  std::ifstream in(KTRIAGE_SOURCE_DIR "/docs/json.md");
  std::map<std::string, std::vector<std::string>> fields;
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) {
      section = line.substr(line.find(' ') + 1);
    } else if (line.rfind("| `", 0) == 0) {
      size_t end = line.find('`', 3);
      fields[section].push_back(line.substr(3, end - 3));
    }
  }
  return fields;
}

std::vector<std::string> Keys(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

TEST(JsonDoc, FieldTablesMatchTheOutput) {
  std::ostringstream out;
  InputResult sample = testing::SampleInput({testing::SoftLockupReport()});
  rules::Finding finding;
  finding.rule_id = "net.veth.softlockup-skb-tx-hash";
  finding.report = 0;
  finding.evidence.push_back({408, "watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [ip:2541]"});
  sample.findings.push_back(finding);
  WriteJson(out, {sample});
  ordered_json doc = ordered_json::parse(out.str());
  auto documented = DocumentedFields();
  ASSERT_FALSE(documented.empty()) << "docs/json.md not found or has no tables";
  const ordered_json& input = doc["inputs"][0];
  EXPECT_EQ(documented["The document"], Keys(doc));
  EXPECT_EQ(documented["input"], Keys(input));
  EXPECT_EQ(documented["system"], Keys(input["system"]));
  EXPECT_EQ(documented["stats"], Keys(input["stats"]));
  EXPECT_EQ(documented["symbols"], Keys(input["symbols"]));
  ASSERT_FALSE(input["findings"].empty());
  EXPECT_EQ(documented["finding"], Keys(input["findings"][0]));
  EXPECT_EQ(documented["evidence"], Keys(input["findings"][0]["evidence"][0]));
  EXPECT_EQ(documented["report"], Keys(input["reports"][0]));
  EXPECT_EQ(documented["frame"], Keys(input["reports"][0]["frames"][0]));

  // A dump input carries the vmcore object.
  InputResult dump = testing::SampleInput({testing::SoftLockupReport()});
  VmcoreFacts facts;
  facts.cpus.push_back(VmcoreCpu{0, 1, 0xffffffff81234567ULL, "netdev_pick_tx+0x27c/0x294", "net/core/dev.c:4214",
                                 {{"skb_tx_hash", "net/core/dev.c:3288"}}, true});
  dump.vmcore = facts;
  std::ostringstream dump_out;
  WriteJson(dump_out, {dump});
  ordered_json dump_doc = ordered_json::parse(dump_out.str());
  const ordered_json& vmcore = dump_doc["inputs"][0]["vmcore"];
  ASSERT_TRUE(vmcore.is_object());
  EXPECT_EQ(documented["vmcore"], Keys(vmcore));
  EXPECT_EQ(documented["cpu"], Keys(vmcore["cpus"][0]));
  EXPECT_EQ(documented["inlined"], Keys(vmcore["cpus"][0]["inlined"][0]));
  EXPECT_EQ(documented["log"], Keys(vmcore["log"]));
  EXPECT_TRUE(input["vmcore"].is_null());
  std::ostringstream text;
  text << std::ifstream(KTRIAGE_SOURCE_DIR "/docs/json.md").rdbuf();
  EXPECT_NE(text.str().find(std::string("`\"") + kAnalysisSchema + "\"`"), std::string::npos);
}

}  // namespace
}  // namespace ktriage
