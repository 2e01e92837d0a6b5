// The shipped knowledge base (rules/shipped): it lints clean, every rule carries positive and
// negative tests, and all of them pass (`ktriage rules test` runs the same tests).
#include <gtest/gtest.h>

#include <iostream>
#include <set>

#include "analyzer/pipeline/rule_tools.h"
#include "rules/rule_loader.h"

namespace ktriage::rules {
namespace {

const std::string kShipped = KTRIAGE_SOURCE_DIR "/rules/shipped";

class ShippedRules : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { loaded_ = new LoadedRules(LoadRules({kShipped})); }
  static void TearDownTestSuite() {
    delete loaded_;
    loaded_ = nullptr;
  }
  static LoadedRules* loaded_;
};
LoadedRules* ShippedRules::loaded_ = nullptr;

TEST_F(ShippedRules, LintClean) {
  std::string all;
  for (const Diagnostic& d : loaded_->diagnostics) all += d.ToString() + "\n";
  EXPECT_TRUE(loaded_->diagnostics.empty()) << "errors and warnings alike:\n" << all;
  EXPECT_EQ(loaded_->skipped, 0u);
  EXPECT_GE(loaded_->files.size(), 5u) << "one file per area";
}

TEST_F(ShippedRules, KnowledgeBaseSize) {
  EXPECT_GE(loaded_->rules.size(), 23u) << "the three seed rules and at least twenty classes";
  std::set<std::string> ids;
  for (const Rule& r : loaded_->rules) ids.insert(r.id);
  for (const char* seed : {"net.veth.softlockup-skb-tx-hash", "net.igb.vf-vlan-override-nack", "net.netns.tcp-timer-pins-netns",
                           "net.netdev.unregister-wait"}) {
    EXPECT_TRUE(ids.count(seed)) << seed;
  }
}

TEST_F(ShippedRules, EveryRuleIsDocumentedAndTestedBothWays) {
  for (const Rule& r : loaded_->rules) {
    SCOPED_TRACE(r.id + " at " + r.where.ToString());
    EXPECT_FALSE(r.title.empty());
    EXPECT_FALSE(r.description.empty());
    EXPECT_FALSE(r.remediation.empty());
    EXPECT_FALSE(r.references.empty());
    EXPECT_FALSE(r.tags.empty());
    size_t positive = 0, negative = 0;
    for (const RuleTest& t : r.tests) (t.findings > 0 ? positive : negative)++;
    EXPECT_GE(positive, 1u) << "no test where the rule fires";
    EXPECT_GE(negative, 1u) << "no near miss where the rule must not fire";
  }
}

TEST_F(ShippedRules, AllRuleTestsPass) {
  auto engine = RuleEngine::Create(loaded_->rules);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  auto analyzer = LogAnalyzer::Create();
  ASSERT_TRUE(analyzer.ok()) << analyzer.error().message;
  const std::vector<pipeline::RuleTestResult> results = pipeline::RunRuleTests(loaded_->rules, pipeline::Tools{*analyzer, *engine});
  size_t expected = 0;
  for (const Rule& r : loaded_->rules) expected += r.tests.size();
  EXPECT_EQ(results.size(), expected);
  std::string failures;
  size_t failed = 0;
  for (const pipeline::RuleTestResult& r : results) {
    if (r.passed) continue;
    ++failed;
    failures += r.where.ToString() + ": " + r.rule_id + ": " + r.name + ": " + r.message + "\n";
  }
  EXPECT_EQ(failed, 0u) << failures;
  std::cout << "shipped rules: " << loaded_->rules.size() << " rules, " << results.size() << " tests, "
            << (failed == 0 ? std::string("all passed") : std::to_string(failed) + " failed") << "\n";
}

}  // namespace
}  // namespace ktriage::rules
