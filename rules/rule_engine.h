// RuleEngine: a loaded rule set compiled for scanning: every line pattern of every rule in one
// RE2::Set, so a log is read once whatever the number of rules. RuleScanner: the state of one
// input (line events, reports, system facts) and the evaluation of every rule on it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/ingest/log_line.h"
#include "analyzer/report/crash_report.h"
#include "base/result.h"
#include "rules/finding.h"
#include "rules/rule.h"

namespace re2 {
class RE2;
}

namespace ktriage::rules {

class RuleEngine {
 public:
  // Errors name the rule and the pattern's location (a lint error: RuleLoader reports them first).
  static Result<std::shared_ptr<const RuleEngine>> Create(std::vector<Rule> rules);
  ~RuleEngine();

  const std::vector<Rule>& rules() const { return rules_; }
  size_t pattern_count() const { return patterns_.size(); }

 private:
  friend class RuleScanner;
  struct CompiledPattern;
  RuleEngine();
  int PatternIndex(const std::string& regex) const;

  std::vector<Rule> rules_;
  std::vector<std::unique_ptr<CompiledPattern>> patterns_;
  std::map<std::string, int> pattern_index_;
  struct Set;
  std::unique_ptr<Set> set_;
};

// Machine facts for `system` conditions: from a dump, else from the log.
struct SystemFacts {
  std::string release;
  std::string panic_message;
  std::string hardware;
  bool vmcore = false;
  std::vector<StateFact> state;  // from the dump's deep analyses (needs its vmlinux)
};

// One condition's verdict, for `ktriage rules explain`.
struct TraceStep {
  int depth = 0;
  SourceLocation where;
  std::string what;  // "report kind soft_lockup", "line /pattern/"
  bool held = false;
  std::string detail;  // why not, or the nearest miss
};

class RuleScanner {
 public:
  explicit RuleScanner(std::shared_ptr<const RuleEngine> engine);
  ~RuleScanner();

  void OnLine(const LogLine& line);           // every line of the input, in order
  void OnReport(const CrashReport& report);   // every report, in order (its index is its position)
  void SetSystem(SystemFacts facts);

  // Every rule on what was seen; findings ordered by their first evidence line, then rule id.
  std::vector<Finding> Evaluate() const;
  // One rule, with the verdict of each condition (per report for report-scoped rules).
  std::vector<TraceStep> Explain(const std::string& rule_id) const;

 private:
  struct State;
  std::shared_ptr<const RuleEngine> engine_;
  std::unique_ptr<State> state_;
};

// "{vf} on {pf}" with fields filled in; unknown fields stay as written.
std::string RenderSummary(const std::string& summary, const std::map<std::string, std::string>& fields);

}  // namespace ktriage::rules
