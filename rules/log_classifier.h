// ClassifyLog: one log through the report pipeline and the rule engine, reports kept in memory.
// For rule tests, `rules explain` and small inputs; `analyze` streams with a RuleScanner itself.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/ingest/input_source.h"
#include "analyzer/report/log_analysis.h"
#include "rules/rule_engine.h"

namespace ktriage::rules {

struct Classified {
  LogAnalysis analysis;            // with its reports
  std::vector<Finding> findings;
  std::vector<TraceStep> trace;    // when a rule to explain was given
  std::optional<Error> error;      // a read error mid-way: what came before is still classified
};

// The machine facts a log gives: its release, the first panic message, the hardware line.
SystemFacts SystemFactsOf(const LogAnalysis& analysis);

// `state`: facts the deep analyses of a dump found (a rule test's inline `state`).
Classified ClassifyLog(InputSource& source, const LogAnalyzer& analyzer, std::shared_ptr<const RuleEngine> engine,
                       const std::string& explain_rule = "", const std::vector<StateFact>& state = {});

// The tests a rule carries (docs/rules.md), each run through ClassifyLog with the whole rule set
// loaded; only the findings of the rule under test count.
struct RuleTestResult {
  std::string rule_id;
  std::string name;      // the test's name, or "test N"
  SourceLocation where;
  bool passed = false;
  std::string message;   // what was expected, what came, and why
};
std::vector<RuleTestResult> RunRuleTests(const std::vector<Rule>& rules, const LogAnalyzer& analyzer,
                                         std::shared_ptr<const RuleEngine> engine);

}  // namespace ktriage::rules
