// The rule-set options shared by the commands that classify (analyze, triage) and the rules
// commands: --rules DIR (repeatable; the shipped rules by default) and --skip-bad-rules.
#pragma once

#include <boost/program_options.hpp>

#include "analyzer/pipeline/rule_set.h"

namespace ktriage::cli {

using RuleOptions = pipeline::RuleSetOptions;

void AddRuleOptions(boost::program_options::options_description& options, RuleOptions& raw, bool with_skip = true);

}  // namespace ktriage::cli
