// `ktriage analyze`: options, help, and the loop that streams each input through the pipeline.
#include "analyzer/cli/analyze_command.h"

#include <boost/program_options.hpp>
#include <future>
#include <optional>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/deep_support.h"
#include "analyzer/ingest/input_source.h"
#include "analyzer/output/analysis_output.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "triage/input_analysis.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

struct RawAnalyzeOptions {
  std::string format;
  std::string color;
  bool all_frames = false;
  bool no_deep = false;
  bool help = false;
  std::vector<std::string> paths;
  SymbolOptions symbols;
  RuleOptions rules;
};

// Built in one place so that parsing and --help can never disagree about what exists.
po::options_description VisibleOptions(RawAnalyzeOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
       "text: a summary for people; json: the versioned document of docs/json.md")
      ("color", po::value(&raw.color)->default_value("auto")->value_name("auto|always|never"),
       "colour the text output; auto colours only when stdout is a terminal and NO_COLOR is "
       "unset or empty")
      ("all-frames", po::bool_switch(&raw.all_frames),
       "text output: show every frame of each report instead of the first 16")
      ("no-deep", po::bool_switch(&raw.no_deep),
       "crash dumps: skip the analyses that need the dump's vmlinux (every CPU's and blocked task's stack, "
       "network namespaces kept alive by sockets), which run whenever that debuginfo is found")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  po::options_description symbols("Symbolization (source lines and inline chains from debuginfo)", 100, 50);
  AddSymbolOptions(symbols, raw.symbols);
  visible.add(symbols);
  po::options_description rules("Known problems (rules; docs/rules.md)", 100, 50);
  AddRuleOptions(rules, raw.rules);
  visible.add(rules);
  return visible;
}

// An input's errors are stored and printed as "NAME: reason". Library messages usually name the
// input already; repeating the name would read badly. Standard input is "<stdin>", as the
// ingest library calls it, because "ktriage: -: ..." reads like a typo.
std::string InputMessage(const std::string& path, const std::string& message) {
  const std::string name = path == "-" ? "<stdin>" : path;
  if (message.size() > name.size() + 2 && message.compare(0, name.size(), name) == 0 &&
      message.compare(name.size(), 2, ": ") == 0) {
    return message;
  }
  return name + ": " + message;
}

}  // namespace

Result<AnalyzeOptions> ParseAnalyzeOptions(const std::vector<std::string>& args) {
  RawAnalyzeOptions raw;
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.paths); !e.empty()) return Error{e};

  AnalyzeOptions options;
  options.help = raw.help;
  if (options.help) return options;
  if (raw.format == "text") {
    options.format = AnalyzeOptions::Format::kText;
  } else if (raw.format == "json") {
    options.format = AnalyzeOptions::Format::kJson;
  } else {
    return Error{"invalid --format '" + raw.format + "' (expected text or json)"};
  }
  if (raw.color == "auto") {
    options.color = AnalyzeOptions::Color::kAuto;
  } else if (raw.color == "always") {
    options.color = AnalyzeOptions::Color::kAlways;
  } else if (raw.color == "never") {
    options.color = AnalyzeOptions::Color::kNever;
  } else {
    return Error{"invalid --color '" + raw.color + "' (expected auto, always or never)"};
  }
  options.all_frames = raw.all_frames;
  options.deep = !raw.no_deep;
  options.symbols = raw.symbols;
  options.rules = raw.rules;
  options.paths = std::move(raw.paths);
  if (options.paths.empty()) return Error{"analyze: no PATH given (use '-' for standard input)"};
  return options;
}

std::string AnalyzeHelp() {
  RawAnalyzeOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage analyze [OPTIONS] PATH...\n"
       "\n"
       "Finds the kernel crash reports in each log (oopses, BUG and WARNING reports, soft and\n"
       "hard lockups, hung tasks, RCU stalls, KASAN and other sanitizer reports, panics...) and\n"
       "prints a summary of each: title, kind, where it is, task, taint, kernel, frames.\n"
       "\n"
       "PATH is a dmesg capture, syslog, journalctl output, /dev/kmsg dump or serial console\n"
       "log; gzip, xz, zstd, bzip2 and lz4 are decompressed (detected by content, not by name).\n"
       "PATH may also be a crash dump (ELF vmcore, kdump-compressed, makedumpfile's flattened\n"
       "format): its facts (release, CPUs and their symbolized PCs, panic) come first, then the\n"
       "reports of its kernel log, separated by the caller id of every printk record.\n"
       "'-' reads standard input. An input that cannot be read is reported on stderr as\n"
       "'ktriage: PATH: reason' and in that input's \"errors\"; the other inputs are still analysed.\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Exit status:\n"
       "  0  every input was read to its end (whether or not it held crash reports)\n"
       "  1  some input could not be opened or read; the others were analysed\n"
       "  2  usage error: unknown option, bad value, no PATH\n"
       "\n"
       "Environment:\n"
       "  NO_COLOR  when set and not empty, --color=auto never colours\n"
       "\n"
       "Examples:\n"
       "  ktriage analyze /var/log/kern.log\n"
       "  dmesg | ktriage analyze -\n"
       "  ktriage analyze --all-frames corpora/samples/veth-softlockup.log\n"
       "  ktriage analyze --format json console-*.log.gz > analysis.json\n"
       "  ktriage analyze /var/crash/202611221000/dump.202611221000\n"
       "  journalctl -k -b -1 | ktriage analyze --format json - | jq '.inputs[].reports[].title'\n"
       "\n"
       "The JSON document is described in docs/json.md.\n";
  return s.str();
}

int RunAnalyze(const AnalyzeOptions& options, const CliContext& context) {
  // Compiling the report catalog and loading the rules are the expensive part of start-up: done
  // once for all inputs, on other threads, so that they overlap the reading of a dump. The rules'
  // diagnostics are kept until the main thread prints them.
  std::future<Result<std::shared_ptr<const LogAnalyzer>>> pending =
      std::async(std::launch::async, [] { return LogAnalyzer::Create(); });
  std::ostringstream rule_messages;
  const CliContext rule_context{context.out, rule_messages, context.stdout_is_tty, context.no_color, context.debuginfod,
                                context.cache_dir};
  std::future<Result<std::shared_ptr<const rules::RuleEngine>>> pending_rules =
      std::async(std::launch::async, [&] { return LoadRuleEngine(options.rules, rule_context); });

  // Nothing is written before both are ready: a broken rule set is refused (unless
  // --skip-bad-rules) with no output at all.
  std::unique_ptr<AnalysisWriter> writer;
  std::shared_ptr<const LogAnalyzer> analyzer;
  std::shared_ptr<const rules::RuleEngine> engine;
  auto ready = [&]() -> std::optional<int> {
    if (writer) return std::nullopt;
    Result<std::shared_ptr<const rules::RuleEngine>> loaded = pending_rules.get();
    context.err << rule_messages.str();
    if (!loaded.ok()) {
      context.err << "ktriage: " << loaded.error().message << '\n';
      return kExitUsage;
    }
    engine = *loaded;
    Result<std::shared_ptr<const LogAnalyzer>> compiled = pending.get();
    if (!compiled.ok()) {
      context.err << "ktriage: " << compiled.error().message << '\n';
      return kExitInputError;
    }
    analyzer = *compiled;
    if (options.format == AnalyzeOptions::Format::kJson) {
      writer = MakeJsonWriter(context.out);
    } else {
      TextOutputOptions text;
      text.color = options.color == AnalyzeOptions::Color::kAlways ||
                   (options.color == AnalyzeOptions::Color::kAuto && context.stdout_is_tty && !context.no_color);
      text.show_all_frames = options.all_frames;
      writer = MakeTextWriter(context.out, text);
    }
    return std::nullopt;
  };

  // Debuginfo is looked for only when a frame needs it, and loaded once for all inputs.
  std::optional<ReportSymbolizer> symbolizer;
  if (!options.symbols.off) symbolizer.emplace(ToReportSymbolizerOptions(options.symbols, context));
  auto finish_symbols = [&](InputResult& input) {
    if (!symbolizer) return;
    input.debuginfo = symbolizer->TakeDebuginfo();
    std::vector<std::string> notes = symbolizer->TakeNotes();
    input.symbol_notes.insert(input.symbol_notes.begin(), notes.begin(), notes.end());
  };

  bool all_read = true;
  for (const std::string& path : options.paths) {
    InputResult input;
    input.path = path;
    auto fail = [&](const Error& error) {
      std::string message = InputMessage(path, error.message);
      context.err << "ktriage: " << message << '\n';
      input.errors.push_back(std::move(message));
      all_read = false;
    };
    // A crash dump is recognised by its content, whatever its name: its facts come first, then
    // its kernel log goes through the text pipeline like any log, caller ids included.
    if (path != "-" && LooksLikeDump(path)) {
      // Opening a dump forks a child (DumpFile's crash isolation) while the rules may still be
      // loading on another thread. glibc's malloc is fork-safe; ASan's allocator was seen to leave
      // the child hung (docs/reliability.md), so sanitizer builds load the rules first.
#if defined(__SANITIZE_ADDRESS__)
      if (std::optional<int> refused = ready()) return *refused;
      Result<VmcoreContents> dump = ReadVmcore({path});
#else
      Result<VmcoreContents> dump = ReadVmcore({path});
      if (std::optional<int> refused = ready()) return *refused;
#endif
      if (!dump.ok()) {
        input.opened = false;
        writer->BeginInput(path, nullptr);
        fail(dump.error());
      } else {
        input.vmcore = dump->facts;
        if (symbolizer) symbolizer->Annotate(*input.vmcore);
        if (symbolizer && options.deep) {
          std::string note;
          input.deep = AnalyzeDumpDeeply(path, options.symbols, *symbolizer, context, &note);
          if (!note.empty()) input.symbol_notes.push_back(note);
        }
        writer->BeginInput(path, &*input.vmcore);
        const std::string& build_id = input.vmcore->build_id;
        triage::ReportHooks hooks;
        hooks.prepare = [&](CrashReport& report) {
          if (symbolizer) symbolizer->Annotate(report, build_id);
        };
        hooks.emit = [&](const CrashReport& report) { writer->WriteReport(report); };
        std::vector<rules::StateFact> state;
        if (input.deep) {
          for (const std::string& line : input.deep->pinned_namespaces) state.push_back({"netns-pinned", line});
        }
        triage::StreamClassification c = triage::ClassifyDumpLog(*dump, path, *analyzer, engine, hooks, std::move(state));
        input.analysis = std::move(c.analysis);
        input.findings = std::move(c.findings);
      }
      finish_symbols(input);
      writer->EndInput(input);
      continue;
    }
    if (std::optional<int> refused = ready()) return *refused;
    writer->BeginInput(path, nullptr);
    Result<std::unique_ptr<InputSource>> source = OpenInputFile(path);
    if (!source.ok()) {
      input.opened = false;
      fail(source.error());
    } else {
      // Reports go straight to the writer: memory stays bounded whatever the input size.
      triage::ReportHooks hooks;
      hooks.prepare = [&](CrashReport& report) {
        if (symbolizer) symbolizer->Annotate(report);
      };
      hooks.emit = [&](const CrashReport& report) { writer->WriteReport(report); };
      triage::StreamClassification c = triage::ClassifyStream(**source, *analyzer, engine, hooks);
      input.analysis = std::move(c.analysis);
      input.findings = std::move(c.findings);
      if (c.error) fail(*c.error);
    }
    finish_symbols(input);
    writer->EndInput(input);
  }
  if (std::optional<int> refused = ready()) return *refused;  // no PATH was analysed: still refuse
  writer->Finish();

  context.out.flush();
  if (!context.out) {
    context.err << "ktriage: error writing the output\n";
    return kExitInputError;
  }
  return all_read ? kExitOk : kExitInputError;
}

int AnalyzeCommand(const std::vector<std::string>& args, const CliContext& context) {
  Result<AnalyzeOptions> options = ParseAnalyzeOptions(args);
  if (!options.ok()) {
    context.err << "ktriage: " << options.error().message << "\nTry 'ktriage analyze --help'.\n";
    return kExitUsage;
  }
  if (options->help) {
    context.out << AnalyzeHelp();
    return kExitOk;
  }
  return RunAnalyze(*options, context);
}

}  // namespace ktriage::cli
