// LoadRules: rule files (YAML) into typed Rules, with every problem a lint can see reported at
// its file:line:column: syntax, unknown keys, wrong types, bad patterns, duplicate ids, summary
// fields never captured, conditions that can never hold.
#pragma once

#include <string>
#include <vector>

#include "rules/rule.h"

namespace ktriage::rules {

struct Diagnostic {
  SourceLocation where;
  std::string rule_id;  // "" when the problem is not inside one rule
  std::string message;
  bool error = true;    // false: a warning (the rule still loads)
  std::string ToString() const;  // "rules/net.yaml:12:7: error: rule net.x: ..."
};

struct LoadedRules {
  std::vector<Rule> rules;              // the rules without errors, in file then document order
  std::vector<Diagnostic> diagnostics;  // in file then line order
  std::vector<std::string> files;       // every rule file read
  size_t skipped = 0;                   // rules left out for their errors
  bool has_errors() const;
};

// `paths`: rule files, or directories searched recursively for *.yaml / *.yml (sorted, so the
// order never depends on the file system).
LoadedRules LoadRules(const std::vector<std::string>& paths);
// The same from text (tests, `rules test` on inline rules); `name` stands for the file.
LoadedRules LoadRulesFromText(const std::string& text, const std::string& name);

// The ids of `rules` that `id` was probably meant to be (a typo away, or containing it, or
// contained in it), closest first, at most 8: for "no rule 'X'" messages.
std::vector<std::string> SimilarRuleIds(const std::string& id, const std::vector<Rule>& rules);

}  // namespace ktriage::rules
