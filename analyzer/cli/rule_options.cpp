// AddRuleOptions / LoadRuleEngine: one spelling of the rule-set options and one policy for bad rules.
#include "analyzer/cli/rule_options.h"

namespace ktriage::cli {

namespace po = boost::program_options;

void AddRuleOptions(po::options_description& options, RuleOptions& raw, bool with_skip) {
  options.add_options()("rules", po::value(&raw.paths)->value_name("DIR|FILE")->composing(),
                        "rule files, or directories of *.yaml rule files; repeatable; default: the shipped "
                        "rules (rules/shipped)");
  if (with_skip) {
    options.add_options()("skip-bad-rules", po::bool_switch(&raw.skip_bad),
                          "classify with the rules that load, naming the ones skipped, instead of refusing a rule "
                          "set with errors");
  }
}

std::string ShippedRulesDir() { return KTRIAGE_RULES_DIR; }

std::vector<std::string> RulePaths(const RuleOptions& options) {
  return options.paths.empty() ? std::vector<std::string>{ShippedRulesDir()} : options.paths;
}

Result<std::shared_ptr<const rules::RuleEngine>> LoadRuleEngine(const RuleOptions& options, const CliContext& context) {
  rules::LoadedRules loaded = rules::LoadRules(RulePaths(options));
  size_t errors = 0;
  for (const rules::Diagnostic& d : loaded.diagnostics) {
    context.err << "ktriage: " << d.ToString() << '\n';
    errors += d.error;
  }
  if (errors > 0 && !options.skip_bad) {
    return Error{"the rule set has " + std::to_string(errors) + " error(s) (" + std::to_string(loaded.skipped) +
                 " rule(s) affected); fix them (ktriage rules lint) or give --skip-bad-rules"};
  }
  if (errors > 0) {
    context.err << "ktriage: skipping " << loaded.skipped << " rule(s) with errors; classifying with "
                << loaded.rules.size() << '\n';
  }
  return rules::RuleEngine::Create(std::move(loaded.rules));
}

}  // namespace ktriage::cli
