// ClassifyStream and ClassifyDumpLog: LogAnalyzer + RuleScanner over one input.
#include "triage/input_analysis.h"

namespace ktriage::triage {

StreamClassification ClassifyStream(InputSource& source, const LogAnalyzer& analyzer,
                                    const std::shared_ptr<const rules::RuleEngine>& engine, const ReportHooks& hooks) {
  StreamClassification out;
  rules::RuleScanner scanner(engine);
  rules::SystemFacts system;  // the first panic message, as reports come
  LogAnalysisResult result = analyzer.Analyze(
      source,
      [&](CrashReport&& report) {
        if (hooks.prepare) hooks.prepare(report);
        scanner.OnReport(report);
        if (system.panic_message.empty()) system.panic_message = report.panic_message;
        if (hooks.emit) hooks.emit(report);
      },
      [&](const LogLine& line) {
        scanner.OnLine(line);
        if (hooks.line) hooks.line(line);
      });
  out.analysis = std::move(result.analysis);
  out.error = std::move(result.error);
  system.release = out.analysis.system.kernel_release;
  system.hardware = out.analysis.system.hardware;
  scanner.SetSystem(std::move(system));
  out.findings = scanner.Evaluate();
  return out;
}

StreamClassification ClassifyDumpLog(const VmcoreContents& dump, const std::string& name, const LogAnalyzer& analyzer,
                                     const std::shared_ptr<const rules::RuleEngine>& engine, const ReportHooks& hooks,
                                     std::vector<rules::StateFact> state) {
  StreamClassification out;
  rules::RuleScanner scanner(engine);
  const std::string log_text = dump.log ? FormatPrintkLog(*dump.log, /*with_caller=*/true) : "";
  auto source = MemoryInput(log_text, name);
  LogAnalysisResult result = analyzer.Analyze(
      *source,
      [&](CrashReport&& report) {
        if (hooks.prepare) hooks.prepare(report);
        scanner.OnReport(report);
        if (hooks.emit) hooks.emit(report);
      },
      [&](const LogLine& line) {
        scanner.OnLine(line);
        if (hooks.line) hooks.line(line);
      });
  out.analysis = std::move(result.analysis);
  out.analysis.compression = "none";
  out.error = std::move(result.error);
  rules::SystemFacts system;
  system.release = dump.facts.osrelease;
  system.panic_message = dump.facts.panic_message;
  system.hardware = out.analysis.system.hardware;
  system.vmcore = true;
  system.state = std::move(state);
  scanner.SetSystem(std::move(system));
  out.findings = scanner.Evaluate();
  return out;
}

}  // namespace ktriage::triage
