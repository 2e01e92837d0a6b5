// LoadRuleSet: load, report every diagnostic, refuse or skip the rules with errors, compile.
#include "analyzer/pipeline/rule_set.h"

#include "rules/rule_loader.h"

namespace ktriage::pipeline {

std::string ShippedRulesDir() { return KTRIAGE_RULES_DIR; }

std::vector<std::string> RulePaths(const RuleSetOptions& options) {
  return options.paths.empty() ? std::vector<std::string>{ShippedRulesDir()} : options.paths;
}

LoadedRuleSet LoadRuleSet(const RuleSetOptions& options) {
  LoadedRuleSet out;
  rules::LoadedRules loaded = rules::LoadRules(RulePaths(options));
  size_t errors = 0;
  for (const rules::Diagnostic& d : loaded.diagnostics) {
    out.messages.push_back(d.ToString());
    errors += d.error;
  }
  if (errors > 0 && !options.skip_bad) {
    out.engine = Error{"the rule set has " + std::to_string(errors) + " error(s) (" + std::to_string(loaded.skipped) +
                       " rule(s) affected); fix them (ktriage rules lint) or give --skip-bad-rules"};
    return out;
  }
  if (errors > 0) {
    out.messages.push_back("skipping " + std::to_string(loaded.skipped) + " rule(s) with errors; classifying with " +
                           std::to_string(loaded.rules.size()));
  }
  out.engine = rules::RuleEngine::Create(std::move(loaded.rules));
  return out;
}

}  // namespace ktriage::pipeline
