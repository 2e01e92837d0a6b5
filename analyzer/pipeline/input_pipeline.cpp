// AnalyzeInput: a dump's facts and deep analyses first, then its log (or a log) through the report
// analyzer and the rule scanner, reports streamed to the hooks so that memory stays bounded.
#include "analyzer/pipeline/input_pipeline.h"

#include <optional>

#include "analyzer/ingest/limited_input.h"
#include "analyzer/pipeline/dump_analyses.h"

namespace ktriage::pipeline {
namespace {

// An input's errors are stored and printed as "NAME: reason". Library messages usually name the
// input already; repeating the name would read badly. Standard input is "<stdin>", as the
// ingest library calls it, because "ktriage: -: ..." reads like a typo.
std::string InputMessage(const std::string& name, const std::string& message) {
  const std::string shown = name == "-" ? "<stdin>" : name;
  if (message.size() > shown.size() + 2 && message.compare(0, shown.size(), shown) == 0 &&
      message.compare(shown.size(), 2, ": ") == 0) {
    return message;
  }
  return shown + ": " + message;
}

// What the deep analyses found, as facts the rules' `system: {state: KIND}` conditions test
// (docs/rules.md lists the kinds). Every new analysis adds its facts here, and only here.
std::vector<rules::StateFact> StateFactsOf(const kernel::DeepAnalysis& deep) {
  std::vector<rules::StateFact> facts;
  for (const kernel::StateFinding& f : deep.findings) facts.push_back({f.kind, f.text});
  return facts;
}

// The log through the report analyzer and the rules. `system` holds what the caller knows of the
// machine (a dump's own facts); a log speaks for itself.
void Classify(InputSource& source, const std::string& name, const Tools& tools, const InputOptions& options,
              const InputHooks& hooks, const std::string& build_id, std::optional<rules::SystemFacts> system,
              InputResult& out) {
  std::optional<rules::RuleScanner> scanner;
  if (tools.rules) {
    rules::ScannerOptions scan;
    scan.explain_rule = options.explain_rule;
    scan.on_finding = hooks.finding;
    scanner.emplace(tools.rules, std::move(scan));
  }
  // What is known of the machine as the log goes, for the reports the scanner evaluates before the
  // end (the end sets the final facts): a dump's own facts, else the reports' own.
  rules::SystemFacts so_far = system.value_or(rules::SystemFacts{});
  so_far.state.insert(so_far.state.end(), options.state.begin(), options.state.end());
  if (scanner) scanner->SetSystem(so_far);
  std::string first_panic;
  std::vector<CrashReport> kept;
  LogAnalysisResult result = tools.reports->Analyze(
      source,
      [&](CrashReport&& report) {
        if (options.symbolizer) options.symbolizer->Annotate(report, build_id);
        if (scanner && !system &&
            ((so_far.release.empty() && !report.kernel_release.empty()) ||
             (so_far.panic_message.empty() && !report.panic_message.empty()) ||
             (so_far.hardware.empty() && !report.hardware.empty()))) {
          if (so_far.release.empty()) so_far.release = report.kernel_release;
          if (so_far.panic_message.empty()) so_far.panic_message = report.panic_message;
          if (so_far.hardware.empty()) so_far.hardware = report.hardware;
          scanner->SetSystem(so_far);
        }
        if (scanner) scanner->OnReport(report);
        if (first_panic.empty()) first_panic = report.panic_message;
        ++out.report_count;
        if (hooks.report) hooks.report(report);
        if (options.keep_reports) kept.push_back(std::move(report));
      },
      [&](const LogLine& line) {
        if (scanner) scanner->OnLine(line);
        if (hooks.line) hooks.line(line);
      });
  out.analysis = std::move(result.analysis);
  out.analysis.reports = std::move(kept);
  if (result.error) out.errors.push_back(InputMessage(name, result.error->message));
  if (!scanner) return;
  rules::SystemFacts facts;
  if (system) {
    facts = std::move(*system);
  } else {
    facts.release = out.analysis.system.kernel_release;
    facts.panic_message = first_panic;
  }
  facts.hardware = out.analysis.system.hardware;
  facts.state.insert(facts.state.end(), options.state.begin(), options.state.end());
  scanner->SetSystem(std::move(facts));
  out.findings = scanner->Evaluate();
  if (!options.explain_rule.empty()) out.trace = scanner->Explain(options.explain_rule);
}

void AnalyzeDumpInput(DumpSession& session, const std::string& name, const Tools& tools, const InputOptions& options,
                      const InputHooks& hooks, InputResult& out) {
  if (options.symbolizer) options.symbolizer->Annotate(session.facts());
  out.vmcore = session.facts();
  rules::SystemFacts system;
  system.release = out.vmcore->osrelease;
  system.panic_message = out.vmcore->panic_message;
  system.vmcore = true;
  if (options.deep) {
    Result<kernel::DeepAnalysis> deep = AnalyzeDump(session, options.symbolizer);
    if (deep) {
      system.state = StateFactsOf(*deep);
      out.deep = std::move(*deep);
    } else {
      std::string why = deep.error().message;
      if (why.rfind(session.name() + ": ", 0) == 0) why.erase(0, session.name().size() + 2);
      out.symbol_notes.push_back("deep analyses (stacks, namespaces) not run: " + why);
    }
    // The log's reports are symbolized next, with debuginfo of their own: not both at once.
    session.ReleaseMemory();
  }
  if (hooks.begin) hooks.begin(&*out.vmcore, out.deep ? &*out.deep : nullptr);
  // The log formatted with caller ids, as `ktriage dmesg --caller` prints it, so that evidence
  // line numbers match that, and reports are separated by who printed them.
  const std::optional<PrintkLog>& log = session.contents().log;
  const std::string log_text = log ? FormatPrintkLog(*log, /*with_caller=*/true) : "";
  std::unique_ptr<InputSource> source = MemoryInput(log_text, name);
  Classify(*source, name, tools, options, hooks, out.vmcore->build_id, std::move(system), out);
  out.analysis.compression = "none";
}

}  // namespace

PreparedInput PrepareInput(const Input& input, const DumpSessionOptions& options) {
  PreparedInput prepared;
  prepared.input = input;
  // A crash dump is recognised by its content, whatever its name.
  if (input.dump != nullptr || input.log != nullptr || input.path == "-") return prepared;
  std::optional<DumpFileHandle> dump = OpenIfDump(input.path);
  if (!dump) return prepared;
  if (!input.name.empty()) dump->name = input.name;
  std::vector<DumpFileHandle> files;
  files.push_back(std::move(*dump));
  Result<std::unique_ptr<DumpSession>> read = DumpSession::Open(std::move(files), options);
  if (!read) {
    prepared.dump_error = read.error();
    return prepared;
  }
  prepared.session = std::move(*read);
  prepared.input.dump = prepared.session.get();
  return prepared;
}

InputResult AnalyzeInput(const Input& input, const Tools& tools, const InputOptions& options, const InputHooks& hooks) {
  PreparedInput prepared = PrepareInput(input, options.dump);
  return AnalyzeInput(prepared, tools, options, hooks);
}

InputResult AnalyzeInput(PreparedInput& prepared, const Tools& tools, const InputOptions& options,
                         const InputHooks& hooks) {
  const Input& input = prepared.input;
  InputResult out;
  out.path = input.name.empty() ? input.path : input.name;
  const std::string& name = out.path;
  if (prepared.dump_error) {
    out.opened = false;
    if (hooks.begin) hooks.begin(nullptr, nullptr);
    out.errors.push_back(InputMessage(name, prepared.dump_error->message));
  } else if (input.dump != nullptr) {
    AnalyzeDumpInput(*input.dump, name, tools, options, hooks, out);
  } else {
    if (hooks.begin) hooks.begin(nullptr, nullptr);
    std::unique_ptr<InputSource> file;
    std::optional<LimitedInput> limited;
    InputSource* source = input.log;
    if (source == nullptr) {
      Result<std::unique_ptr<InputSource>> read = OpenInputFile(input.path);
      if (!read) {
        out.opened = false;
        out.errors.push_back(InputMessage(name, read.error().message));
      } else {
        file = std::move(*read);
        source = file.get();
        if (options.limits != nullptr) source = &limited.emplace(*file, *options.limits);
      }
    }
    if (source != nullptr) Classify(*source, name, tools, options, hooks, "", std::nullopt, out);
  }
  if (options.symbolizer) {
    out.debuginfo = options.symbolizer->TakeDebuginfo();
    std::vector<std::string> notes = options.symbolizer->TakeNotes();
    out.symbol_notes.insert(out.symbol_notes.begin(), notes.begin(), notes.end());
  }
  return out;
}

}  // namespace ktriage::pipeline
