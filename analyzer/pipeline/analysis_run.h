// AnalyzePaths: `ktriage analyze` as one library call: the tools built once for all inputs (on
// other threads, while the first dump is being read), then every input through AnalyzeInput, its
// results streamed to a sink.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/pipeline/dump_session.h"
#include "analyzer/pipeline/input_result.h"
#include "analyzer/pipeline/rule_set.h"
#include "analyzer/symbolize/report_symbolizer.h"
#include "base/result.h"

namespace ktriage::pipeline {

struct AnalysisRunOptions {
  std::vector<std::string> paths;                  // logs and dumps by content; "-" is stdin
  RuleSetOptions rules;
  std::optional<ReportSymbolizerOptions> symbols;  // nullopt: no symbolization at all
  bool deep = true;                                // dumps: the deep analyses when the vmlinux is found
  DumpSessionOptions dump;
};

struct AnalysisRunEvents {
  // The rule set's diagnostics, before anything is written.
  std::function<void(const std::string&)> message;
  // Each input's errors ("NAME: reason"), as they come.
  std::function<void(const std::string&)> error;
  // The sink, asked for once the rules and the report catalog are ready: a rule set that is
  // refused leaves no output at all.
  std::function<std::unique_ptr<AnalysisSink>()> make_sink;
};

struct AnalysisRunOutcome {
  bool all_read = true;                   // every input was opened and read to its end
  std::optional<Error> rules_refused;     // the rule set has errors: nothing was analysed
  std::optional<Error> failed;            // the report catalog could not be built: nothing was analysed
};

AnalysisRunOutcome AnalyzePaths(const AnalysisRunOptions& options, const AnalysisRunEvents& events);

}  // namespace ktriage::pipeline
