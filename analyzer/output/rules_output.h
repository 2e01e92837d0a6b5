// What the rule author's commands print: the rule list (text or JSON), rule test results, and the
// explanation of one rule's verdict on one input.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "analyzer/pipeline/input_result.h"
#include "analyzer/pipeline/rule_tools.h"
#include "rules/rule.h"

namespace ktriage {

// "1 rule" / "2 rules".
std::string Plural(size_t n, const std::string& word);

// Every rule, sorted by id: one line each and a count (text), or {"schema": "ktriage.rules-list/1"}.
void WriteRuleList(std::ostream& out, const std::vector<rules::Rule>& rules, size_t files, bool json);

// PASS/FAIL lines, then "N tests of M rules: ... passed, ... failed; without tests: ...".
void WriteRuleTestResults(std::ostream& out, const std::vector<pipeline::RuleTestResult>& results,
                          const std::vector<rules::Rule>& selected);

// The rule and the input, each condition's verdict indented as written, then the findings.
// `name` is how the input is shown; the result came from pipeline::ExplainRule.
void WriteExplanation(std::ostream& out, const rules::Rule& rule, const std::string& name, const InputResult& input);

}  // namespace ktriage
