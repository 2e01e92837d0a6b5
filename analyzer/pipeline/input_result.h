// InputResult: everything the pipeline learnt of one input (a log or a crash dump), as the
// writers (analyzer/output), triage and the rule tools take it; AnalysisSink: what receives the
// results of a run as they come, so that a huge input never has to be held in memory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_analyses/deep_analysis.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "rules/finding.h"
#include "rules/rule_engine.h"

namespace ktriage {

struct InputResult {
  std::string path;
  // Its `reports` are empty when they were streamed to a sink (InputOptions::keep_reports).
  LogAnalysis analysis;
  // One-line messages for this input (unreadable, cut short...), each naming it.
  std::vector<std::string> errors;
  // False when the input could not be opened at all: JSON then shows "format" and
  // "compression" as null instead of inventing a format for bytes never read.
  bool opened = true;
  // Set when the input is a crash dump: what the dump itself says (the log's reports are in
  // `analysis` like any log's).
  std::optional<VmcoreFacts> vmcore;
  // Symbolization: the debuginfo files that answered, and what was searched and not found or
  // found and rejected (one line each).
  std::vector<std::string> debuginfo;
  std::vector<std::string> symbol_notes;
  // Known problems the rules recognised in this input (rules/), in evidence order.
  std::vector<rules::Finding> findings;
  // A dump's memory read (its BTF and kallsyms, or its vmlinux): stacks and namespaces (absent
  // when the dump gives neither types nor symbols, or with --no-deep).
  std::optional<kernel::DeepAnalysis> deep;
  // The verdict of each condition of the rule asked about (InputOptions::explain_rule).
  std::vector<rules::TraceStep> trace;
  size_t report_count = 0;  // reports found, whether kept or streamed
};

// Receives a run's inputs in order: (BeginInput (WriteReport|WriteFinding)* EndInput)* Finish. `vmcore` is the
// dump's facts when the input is a dump (they are known before its log is read), null otherwise, and
// `deep` its deep analyses when they ran (before the log too: their findings feed the rules);
// EndInput's `input.analysis.reports` went through WriteReport already.
class AnalysisSink {
 public:
  virtual ~AnalysisSink() = default;
  virtual void BeginInput(const std::string& path, const VmcoreFacts* vmcore, const kernel::DeepAnalysis* deep) = 0;
  virtual void WriteReport(const CrashReport& report) = 0;
  // A finding of a report the rules evaluated before the end of the input (an input of more
  // reports than they hold), as it comes; EndInput's `input.findings` are the rest, after it.
  virtual void WriteFinding(const rules::Finding& finding) = 0;
  virtual void EndInput(const InputResult& input) = 0;
  virtual void Finish() = 0;
};

}  // namespace ktriage
