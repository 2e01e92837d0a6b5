// `ktriage symbolize`: options and help; the rewriting is SymbolizeLog (analyzer/symbolize).
#include "analyzer/cli/symbolize_command.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/ingest/input_source.h"
#include "analyzer/symbolize/log_symbolizer.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

struct RawSymbolizeOptions {
  std::string format;
  bool help = false;
  std::vector<std::string> paths;
  SymbolOptions symbols;
};

// Built in one place so that parsing and --help can never disagree about what exists.
po::options_description VisibleOptions(RawSymbolizeOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
       "text: the log as decode_stacktrace.sh prints it; json: one object per frame line (docs/json.md)")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  po::options_description symbols("Debuginfo", 100, 50);
  AddSymbolOptions(symbols, raw.symbols, /*always=*/true);
  visible.add(symbols);
  return visible;
}

}  // namespace

Result<SymbolizeOptions> ParseSymbolizeOptions(const std::vector<std::string>& args) {
  RawSymbolizeOptions raw;
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.paths); !e.empty()) return Error{e};

  SymbolizeOptions options;
  options.help = raw.help;
  if (options.help) return options;
  if (raw.format == "text") {
    options.format = SymbolizeOptions::Format::kText;
  } else if (raw.format == "json") {
    options.format = SymbolizeOptions::Format::kJson;
  } else {
    return Error{"invalid --format '" + raw.format + "' (expected text or json)"};
  }
  if (raw.paths.size() > 1) return Error{"symbolize: one FILE at most ('-' or none for standard input)"};
  if (!raw.paths.empty()) options.path = raw.paths.front();
  options.symbols = raw.symbols;
  return options;
}

std::string SymbolizeHelp() {
  RawSymbolizeOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage symbolize [OPTIONS] [FILE|-]\n"
       "\n"
       "Rewrites a kernel log as the kernel's scripts/decode_stacktrace.sh does, in one process:\n"
       "every line is echoed, and a stack frame line such as\n"
       "  [   16.751811]  ? netdev_pick_tx+0x5/0x2e0\n"
       "gets its symbol's source lines from debuginfo, innermost inlined call first:\n"
       "  [   16.751811] ? netdev_pick_tx (net/core/dev.c:4203) \n"
       "byte for byte as the script writes it: words joined by one blank, [<address>] words\n"
       "dropped, \"SEGMENT:NAME (FILE:LINE...) MODULE\" with the module's brackets and build-id\n"
       "dropped (a trailing blank when there is no module), the line of the printed address\n"
       "itself (`analyze` looks return addresses up one byte before).\n"
       "\n"
       "FILE is read line by line ('-' or none: standard input); gzip, xz, zstd, bzip2 and lz4\n"
       "are decompressed. Debuginfo: --vmlinux, else -r, else the release printed by the last\n"
       "'CPU: N PID: P Comm: ...' line before the frame (/usr/lib/debug/boot/vmlinux-R...);\n"
       "modules from --modules, the debug roots, /lib/modules/R, and debuginfod when\n"
       "DEBUGINFOD_URLS is set. Why frames stayed unsymbolized is said once, at the end, on stderr\n"
       "as 'ktriage: note: ...'.\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Differences from decode_stacktrace.sh (Linux 6.1):\n"
       "  - Lines that are not frames, and frames that cannot be symbolized, are echoed byte for\n"
       "    byte; the script strips blanks at both ends and backslashes of every line (bash\n"
       "    `read`), re-joins the words of frame lines it cannot symbolize, and drops a last\n"
       "    line without a newline.\n"
       "  - \"\\r\\n\" ends a line (the script keeps the \"\\r\" and then misses the module).\n"
       "  - addr2line's \" (discriminator N)\" is not printed.\n"
       "  - Lines come from libdw, as eu-addr2line gives them; binutils' addr2line, which the\n"
       "    script runs, names another file now and then (DWARF 5 file tables).\n"
       "  - A return address that no function covers (a call that never returns, last in its\n"
       "    function) is looked up one byte before, in the call; the script names whatever\n"
       "    follows the function.\n"
       "  - A name that several static functions share is resolved by the size printed after\n"
       "    the offset; the script takes nm's first. Paths are relative to the kernel tree when\n"
       "    the build directory is recognised, else as the debuginfo records them.\n"
       "  - Code: lines are echoed, not disassembled (decodecode).\n"
       "  - With debuginfod-find installed the script drops 'PID: N Comm:' lines; they are echoed.\n"
       "\n"
       "--format json writes one object per line that holds a frame (JSON Lines): the line number,\n"
       "the line, the kernel release and the frame as `analyze --format json` writes frames,\n"
       "return addresses looked up one byte before as `analyze` does. See docs/json.md.\n"
       "\n"
       "Exit status:\n"
       "  0  the input was read to its end (notes about missing debuginfo included)\n"
       "  1  the input could not be opened or read\n"
       "  2  usage error: unknown option, bad value, more than one FILE\n"
       "\n"
       "Examples:\n"
       "  dmesg | ktriage symbolize\n"
       "  ktriage symbolize --vmlinux vmlinux --modules /lib/modules/$(uname -r) console.log\n"
       "  ktriage symbolize -r 6.1.0-50-cloud-amd64 kern.log.gz | less\n"
       "  ktriage symbolize --format json console.log | jq -r 'select(.frame.symbolized) | .frame.source'\n";
  return s.str();
}

int RunSymbolize(const SymbolizeOptions& options, const CliContext& context) {
  Result<std::unique_ptr<InputSource>> source = OpenInputFile(options.path);
  if (!source.ok()) {
    context.err << "ktriage: " << source.error().message << '\n';
    return kExitInputError;
  }
  ReportSymbolizer symbolizer(ToReportSymbolizerOptions(options.symbols, context));
  LogSymbolizeOptions run;
  run.json = options.format == SymbolizeOptions::Format::kJson;
  run.release = options.symbols.release;
  const LogSymbolizeResult result = SymbolizeLog(**source, symbolizer, run, context.out);
  for (const std::string& note : result.notes) context.err << "ktriage: note: " << note << '\n';
  int status = kExitOk;
  if (result.error) {
    context.err << "ktriage: " << result.error->message << '\n';
    status = kExitInputError;
  }
  context.out.flush();
  if (!context.out) {
    context.err << "ktriage: error writing the output\n";
    return kExitInputError;
  }
  return status;
}

int SymbolizeCommand(const std::vector<std::string>& args, const CliContext& context) {
  Result<SymbolizeOptions> options = ParseSymbolizeOptions(args);
  if (!options.ok()) {
    return UsageError(context, "symbolize", options.error().message);
  }
  if (options->help) {
    context.out << SymbolizeHelp();
    return kExitOk;
  }
  return RunSymbolize(*options, context);
}

}  // namespace ktriage::cli
