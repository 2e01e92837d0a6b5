// The rule set a run classifies with: where it comes from (the shipped rules unless paths are
// given) and the one policy for rules with errors: refused, unless the caller skips them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "rules/rule_engine.h"

namespace ktriage::pipeline {

struct RuleSetOptions {
  std::vector<std::string> paths;  // rule files or directories; empty: the shipped rules
  bool skip_bad = false;           // classify with the rules that load instead of refusing the set
};

// Where the shipped rules are: the source tree's rules/shipped, fixed at build time.
std::string ShippedRulesDir();
std::vector<std::string> RulePaths(const RuleSetOptions& options);

struct LoadedRuleSet {
  // One line each, to print before anything else: "FILE:LINE:COL: error: ...", then which rules
  // were skipped.
  std::vector<std::string> messages;
  // A set with errors is an Error unless skip_bad.
  Result<std::shared_ptr<const rules::RuleEngine>> engine = Error{"not loaded"};
};

LoadedRuleSet LoadRuleSet(const RuleSetOptions& options);

}  // namespace ktriage::pipeline
