// The rule author's checks that read inputs, through the same pipeline as `analyze`: the tests a
// rule carries (`rules test`) and the verdict of one rule on one input (`rules explain`).
#pragma once

#include <string>
#include <vector>

#include "analyzer/pipeline/input_pipeline.h"
#include "rules/rule.h"

namespace ktriage::pipeline {

// The tests a rule carries (docs/rules.md), each run through AnalyzeInput with the whole rule set
// in `tools` (as analyze compiles it: a test also sees the effect of the other rules' patterns
// on the shared RE2::Set); only the findings of the rule under test count.
struct RuleTestResult {
  std::string rule_id;
  std::string name;      // the test's name, or "test N"
  rules::SourceLocation where;
  bool passed = false;
  std::string message;   // what was expected, what came, and why
};
std::vector<RuleTestResult> RunRuleTests(const std::vector<rules::Rule>& rules, const Tools& tools);

// INPUT read as analyze reads it (a dump's facts, its deep analyses and their state facts,
// symbolized frames), keeping the trace of `rule_id`; the result's findings are that rule's
// only. An error when the input cannot be read at all, or is a dump whose log cannot be read.
Result<InputResult> ExplainRule(const std::string& rule_id, const std::string& path, const Tools& tools,
                                InputOptions options);

}  // namespace ktriage::pipeline
