// AddRuleOptions: one spelling of the rule-set options.
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

}  // namespace ktriage::cli
