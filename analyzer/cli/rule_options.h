// The rule-set options shared by the commands that classify (analyze, triage) and the rules
// commands: --rules DIR (repeatable; the shipped rules by default) and --skip-bad-rules.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "base/result.h"
#include "rules/rule_engine.h"
#include "rules/rule_loader.h"

namespace ktriage::cli {

struct RuleOptions {
  std::vector<std::string> paths;  // --rules; empty: the shipped rules
  bool skip_bad = false;           // --skip-bad-rules
};

void AddRuleOptions(boost::program_options::options_description& options, RuleOptions& raw, bool with_skip = true);

// Where the shipped rules are: the source tree's rules/shipped, fixed at build time.
std::string ShippedRulesDir();
std::vector<std::string> RulePaths(const RuleOptions& options);

// Loads and compiles the rule set for classification. Diagnostics go to context.err as
// "ktriage: FILE:LINE:COL: error: ..."; a set with errors is refused (an Error) unless
// skip_bad, and then the skipped rules are named on stderr.
Result<std::shared_ptr<const rules::RuleEngine>> LoadRuleEngine(const RuleOptions& options, const CliContext& context);

}  // namespace ktriage::cli
