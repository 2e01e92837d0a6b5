// The journey of one input, written once: read -> lines -> reports -> symbols -> dump state ->
// findings. `analyze`, each triage work item, `rules test`, `rules explain` and the fuzz targets
// all go through AnalyzeInput; a new fact or analysis is added here and every one of them has it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/ingest/input_limits.h"
#include "analyzer/ingest/input_source.h"
#include "analyzer/pipeline/dump_session.h"
#include "analyzer/pipeline/input_result.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/symbolize/report_symbolizer.h"
#include "rules/rule_engine.h"

namespace ktriage::pipeline {

// What every input of a run is analysed with: built once, const, shared by any number of threads.
struct Tools {
  std::shared_ptr<const LogAnalyzer> reports;
  std::shared_ptr<const rules::RuleEngine> rules;  // null: no rules, no findings
};

// One input; exactly one of `path`, `log` and `dump` says where it is.
struct Input {
  std::string name;              // how results and messages name it ("" for `path` itself)
  std::string path;              // a file read by its content (a dump or a log), "-" for stdin
  InputSource* log = nullptr;    // a log already open: an archive member, a buffer, a test's text
  DumpSession* dump = nullptr;   // a dump already open
};

struct InputOptions {
  // Frames to source lines and inline chains (one per thread: it caches debuginfo); null: none.
  ReportSymbolizer* symbolizer = nullptr;
  // Dumps: the deep analyses (stacks, namespaces) from the dump's own BTF and kallsyms, with its
  // vmlinux when the symbolizer finds it (analyze; triage leaves them off: they cost ~0.4 s a dump).
  bool deep = false;
  // Keep every report in the result's `analysis.reports` (small inputs: rule tests).
  bool keep_reports = false;
  // Keep the trace of this rule's conditions (`rules explain`).
  std::string explain_rule;
  // Facts for `system: {state: ...}` conditions given by the caller (a rule test's inline state),
  // besides those the deep analyses find.
  std::vector<rules::StateFact> state;
  // How a dump named by `path` is opened.
  DumpSessionOptions dump;
  // What a compressed log named by `path` may expand to (none when null).
  const InputLimits* limits = nullptr;
};

// Seen as the input goes, in order (each may be empty).
struct InputHooks {
  // Once, before any report: the dump's facts (null for a log, or a dump that could not be read).
  std::function<void(const VmcoreFacts*, const kernel::DeepAnalysis*)> begin;
  // Each report, symbolized, after the rules saw it.
  std::function<void(const CrashReport&)> report;
  // Each line, after the rules saw it.
  std::function<void(const LogLine&)> line;
  // The findings of reports the rules evaluated before the end of the input (an input of more
  // reports than the scanner holds: rules::ScannerOptions), in report order, as they come; the
  // rest are the result's `findings`. Without it, all are in the result.
  std::function<void(rules::Finding&&)> finding;
};

// An input whose dump, when `path` names one, has been read (by the reader process: the slow part
// of starting on a dump, which a caller may overlap with other work).
struct PreparedInput {
  Input input;
  std::unique_ptr<DumpSession> session;  // the dump `path` named, read
  std::optional<Error> dump_error;       // `path` is a dump that could not be read
};
PreparedInput PrepareInput(const Input& input, const DumpSessionOptions& options);

InputResult AnalyzeInput(PreparedInput& input, const Tools& tools, const InputOptions& options,
                         const InputHooks& hooks = {});
InputResult AnalyzeInput(const Input& input, const Tools& tools, const InputOptions& options,
                         const InputHooks& hooks = {});

}  // namespace ktriage::pipeline
