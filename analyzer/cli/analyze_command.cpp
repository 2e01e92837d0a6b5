// `ktriage analyze`: options and help; the run itself is pipeline::AnalyzePaths.
#include "analyzer/cli/analyze_command.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/output/analysis_output.h"
#include "analyzer/pipeline/analysis_run.h"

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
       "crash dumps: skip the analyses of the dump's memory (every CPU's and blocked task's stack, network "
       "namespaces kept alive by sockets), which read the dump's own BTF and kallsyms, or its vmlinux")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  po::options_description symbols("Symbolization (source lines and inline chains from debuginfo)", 100, 50);
  AddSymbolOptions(symbols, raw.symbols);
  AddTypeSourceOption(symbols, raw.symbols);
  visible.add(symbols);
  po::options_description rules("Known problems (rules; docs/rules.md)", 100, 50);
  AddRuleOptions(rules, raw.rules);
  visible.add(rules);
  return visible;
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
  if (!TypeSourceOf(raw.symbols)) return Error{"invalid --types '" + raw.symbols.types + "' (expected auto, btf or dwarf)"};
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
  pipeline::AnalysisRunOptions run;
  run.paths = options.paths;
  run.rules = options.rules;
  if (!options.symbols.off) run.symbols = ToReportSymbolizerOptions(options.symbols, context);
  run.deep = options.deep;
  run.dump = DumpSessionOptionsOf(context);
  run.dump.types = *TypeSourceOf(options.symbols);
  pipeline::AnalysisRunEvents events;
  events.message = [&](const std::string& m) { context.err << "ktriage: " << m << '\n'; };
  events.error = [&](const std::string& e) { context.err << "ktriage: " << e << '\n'; };
  events.make_sink = [&]() -> std::unique_ptr<AnalysisSink> {
    if (options.format == AnalyzeOptions::Format::kJson) return MakeJsonWriter(context.out, context.temp_dir);
    TextOutputOptions text;
    text.color = options.color == AnalyzeOptions::Color::kAlways ||
                 (options.color == AnalyzeOptions::Color::kAuto && context.stdout_is_tty && !context.no_color);
    text.show_all_frames = options.all_frames;
    return MakeTextWriter(context.out, text, context.temp_dir);
  };
  const pipeline::AnalysisRunOutcome outcome = pipeline::AnalyzePaths(run, events);
  if (outcome.rules_refused) {
    context.err << "ktriage: " << outcome.rules_refused->message << '\n';
    return kExitUsage;
  }
  if (outcome.failed) {
    context.err << "ktriage: " << outcome.failed->message << '\n';
    return kExitInputError;
  }
  context.out.flush();
  if (!context.out) {
    context.err << "ktriage: error writing the output\n";
    return kExitInputError;
  }
  return outcome.all_read ? kExitOk : kExitInputError;
}

int AnalyzeCommand(const std::vector<std::string>& args, const CliContext& context) {
  Result<AnalyzeOptions> options = ParseAnalyzeOptions(args);
  if (!options.ok()) {
    return UsageError(context, "analyze", options.error().message);
  }
  if (options->help) {
    context.out << AnalyzeHelp();
    return kExitOk;
  }
  return RunAnalyze(*options, context);
}

}  // namespace ktriage::cli
