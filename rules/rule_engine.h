// RuleEngine: a loaded rule set compiled for scanning: every line pattern of every rule in one
// RE2::Set, so a log is read once whatever the number of rules. RuleScanner: the state of one
// input (line events, reports, system facts) and the evaluation of every rule on it.
#pragma once

#include <cstdint>
#include <functional>
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
  // The widest window of a report-scoped rule's line conditions: a line further from every report
  // still to be evaluated than this is never looked at again (the scanner lets it go).
  uint64_t max_window_lines_ = 0;
  double max_window_seconds_ = 0;
  std::map<std::string, int> pattern_index_;
  // Per rule (rules_'s order): the report kinds its match can hold for, when the match requires
  // one (a report condition's `kind` on every path); empty: any. Most rules fail most reports on
  // their kind, so this is asked before evaluating anything.
  std::vector<std::vector<std::string>> required_kinds_;
  struct Set;
  std::unique_ptr<Set> set_;
};

// Machine facts for `system` conditions: from a dump, else from the log.
struct SystemFacts {
  std::string release;
  std::string panic_message;
  std::string hardware;
  bool vmcore = false;
  std::vector<StateFact> state;  // from the dump's deep analyses
};

// One condition's verdict, for `ktriage rules explain`.
struct TraceStep {
  int depth = 0;
  SourceLocation where;
  std::string what;  // "report kind soft_lockup", "line /pattern/"
  bool held = false;
  std::string detail;  // why not, or the nearest miss
};

struct ScannerOptions {
  // Reports held for evaluation at the end of the input, at most. Past it the oldest is evaluated
  // at once, with the lines and the system facts seen so far, so that memory stays flat on an
  // input of millions of reports; an input with fewer reports gets the verdicts it would get if
  // every report waited for the end.
  size_t max_pending_reports = 256;
  // Where the findings of reports evaluated early go, in report order, as they come; when empty
  // they are kept and Evaluate returns them with the rest.
  std::function<void(Finding&&)> on_finding;
  // Explain(explain_rule) also covers the reports evaluated early.
  std::string explain_rule;
};

class RuleScanner {
 public:
  explicit RuleScanner(std::shared_ptr<const RuleEngine> engine, ScannerOptions options = {});
  ~RuleScanner();

  void OnLine(const LogLine& line);           // every line of the input, in order
  void OnReport(const CrashReport& report);   // every report, in order (its index is its position)
  // The machine's facts: set again whenever more is known; reports evaluated early see the latest.
  void SetSystem(SystemFacts facts);

  // Every rule on what was seen, the reports still held and the whole-log rules; findings ordered
  // by their first evidence line, then rule id (after those of reports evaluated early, when they
  // went to ScannerOptions::on_finding).
  std::vector<Finding> Evaluate() const;
  // One rule, with the verdict of each condition (per report for report-scoped rules).
  std::vector<TraceStep> Explain(const std::string& rule_id) const;

 private:
  struct State;
  void EvaluateOldest();
  std::shared_ptr<const RuleEngine> engine_;
  ScannerOptions options_;
  std::unique_ptr<State> state_;
};

// "{vf} on {pf}" with fields filled in; unknown fields stay as written.
std::string RenderSummary(const std::string& summary, const std::map<std::string, std::string>& fields);

}  // namespace ktriage::rules
