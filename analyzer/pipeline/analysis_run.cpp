// AnalyzePaths: the rule set and the report catalog load on other threads; a dump given first is
// read by the reader process meanwhile; nothing reaches the sink before both are ready.
#include "analyzer/pipeline/analysis_run.h"

#include <future>

#include "analyzer/pipeline/input_pipeline.h"

namespace ktriage::pipeline {

AnalysisRunOutcome AnalyzePaths(const AnalysisRunOptions& options, const AnalysisRunEvents& events) {
  std::future<Result<std::shared_ptr<const LogAnalyzer>>> pending_catalog =
      std::async(std::launch::async, [] { return LogAnalyzer::Create(); });
  std::future<LoadedRuleSet> pending_rules =
      std::async(std::launch::async, [&] { return LoadRuleSet(options.rules); });

  AnalysisRunOutcome outcome;
  Tools tools;
  std::unique_ptr<AnalysisSink> sink;
  auto ready = [&]() -> bool {
    if (sink) return true;
    LoadedRuleSet rules = pending_rules.get();
    for (const std::string& m : rules.messages) {
      if (events.message) events.message(m);
    }
    Result<std::shared_ptr<const LogAnalyzer>> catalog = pending_catalog.get();
    if (!rules.engine) {
      outcome.rules_refused = rules.engine.error();
      return false;
    }
    if (!catalog) {
      outcome.failed = catalog.error();
      return false;
    }
    tools.rules = *rules.engine;
    tools.reports = *catalog;
    sink = events.make_sink();
    return true;
  };

  // Debuginfo is looked for only when a frame needs it, and loaded once for all inputs.
  std::optional<ReportSymbolizer> symbolizer;
  if (options.symbols) symbolizer.emplace(*options.symbols);
  InputOptions input_options;
  input_options.symbolizer = symbolizer ? &*symbolizer : nullptr;
  input_options.deep = options.deep;
  input_options.dump = options.dump;
  const InputLimits limits;  // the defaults: a decompression bomb is one failed input
  input_options.limits = &limits;

  for (const std::string& path : options.paths) {
    Input input;
    input.path = path;
    // A dump is read (in the reader process) before waiting for the tools: the two overlap.
    PreparedInput prepared = PrepareInput(input, options.dump);
    if (!ready()) return outcome;
    InputHooks hooks;
    hooks.begin = [&](const VmcoreFacts* facts, const kernel::DeepAnalysis* deep) { sink->BeginInput(path, facts, deep); };
    hooks.report = [&](const CrashReport& report) { sink->WriteReport(report); };
    hooks.finding = [&](rules::Finding&& finding) { sink->WriteFinding(finding); };
    const InputResult result = AnalyzeInput(prepared, tools, input_options, hooks);
    for (const std::string& e : result.errors) {
      if (events.error) events.error(e);
    }
    if (!result.errors.empty()) outcome.all_read = false;
    sink->EndInput(result);
  }
  if (!ready()) return outcome;  // no PATH was analysed: a bad rule set is still refused
  sink->Finish();
  return outcome;
}

}  // namespace ktriage::pipeline
