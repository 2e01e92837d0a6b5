// `ktriage rules lint|test|explain|list`: the rule author's tools (docs/rules.md).
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "analyzer/cli/rule_options.h"
#include "analyzer/cli/symbol_options.h"
#include "base/result.h"

namespace ktriage::cli {

struct RulesOptions {
  enum class Action { kLint, kTest, kExplain, kList };
  enum class Format { kText, kJson };

  Action action = Action::kLint;
  bool help = false;               // --help: print RulesHelp() and do nothing else
  RuleOptions rules;               // lint/test/list: the PATHs; explain: --rules (and --skip-bad-rules)
  std::string rule_id;             // explain: RULE_ID; test: --rule ("" = every rule)
  std::string input;               // explain: INPUT, a log, a crash dump or "-"
  Format format = Format::kText;   // list: --format text|json
  SymbolOptions symbols;           // explain: debuginfo, so frame conditions see what analyze sees
};

// `args` are the words after `rules`. Usage errors come back as an Error whose message needs only
// the "ktriage: " prefix.
Result<RulesOptions> ParseRulesOptions(const std::vector<std::string>& args);
std::string RulesHelp();
// Exit status: 0 ok, 1 lint errors or failing tests or an unreadable input, 2 usage (an unknown
// rule id included).
int RunRules(const RulesOptions& options, const CliContext& context);

// The command-table entry: parse, then run or report the usage error.
int RulesCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
