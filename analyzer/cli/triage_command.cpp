// `ktriage triage`: options, the history's location, Ctrl-C, progress, then triage::RunTriage.
//
// The one piece of global state in ktriage lives here: the flag the SIGINT handler sets (a
// handler can reach nothing else). It is installed only while a triage runs, and the first Ctrl-C
// puts the default action back, so a second one ends the process at once.
#include "analyzer/cli/triage_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "analyzer/cli/command_line.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/history/history_db.h"
#include "base/output_file.h"
#include "analyzer/triage/html_report.h"
#include "analyzer/triage/triage.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the SIGINT handler needs a lock-free flag");

extern "C" void OnInterrupt(int) {
  g_interrupted.store(true, std::memory_order_relaxed);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGINT, &dfl, nullptr);
}

// Installs OnInterrupt for the lifetime of the object, then puts back what was there.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    installed_ = sigaction(SIGINT, &sa, &old_) == 0;
  }
  ~InterruptScope() {
    if (installed_) sigaction(SIGINT, &old_, nullptr);
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction old_ {};
  bool installed_ = false;
};

struct RawTriageOptions {
  std::vector<std::string> paths;
  unsigned jobs = 0;
  RuleOptions rules;
  std::string db;
  bool no_db = false;
  bool rescan = false;
  std::string output;
  std::string html;
  SymbolOptions symbols;
  std::string shard;
  bool shard_given = false;
  std::string max_expanded;
  uint64_t max_ratio = 0;
  uint64_t max_members = 0;
  int max_depth = 0;
  bool help = false;
};

po::options_description VisibleOptions(RawTriageOptions& raw) {
  const InputLimits defaults;
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("jobs,j", po::value(&raw.jobs)->value_name("N"), "workers analysing inputs; default: the number of CPUs")
      ("output,o", po::value(&raw.output)->value_name("FILE.jsonl"),
       "also write every input, report and finding as JSON Lines (docs/json.md)")
      ("html", po::value(&raw.html)->value_name("FILE"),
       "also write the summary as one self-contained HTML page: the tables, crash reports per day by kind, "
       "and each group's example report with its frames, symbolized when debuginfo is found")
      ("db", po::value(&raw.db)->value_name("FILE"),
       "the history database; default: ${XDG_DATA_HOME:-~/.local/share}/ktriage/history.sqlite")
      ("no-db", po::bool_switch(&raw.no_db), "no history: read everything, remember nothing, mark nothing new")
      ("rescan", po::bool_switch(&raw.rescan), "read inputs again even when the history says they are unchanged")
      ("shard", po::value(&raw.shard)->value_name("I/N")->notifier([&raw](const std::string&) { raw.shard_given = true; }),
       "read only shard I of N (1 <= I <= N): the inputs whose name hashes there; combine with 'ktriage merge' "
       "(docs/scale.md)")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  po::options_description limits("Limits per input (a file named or found; an archive is one)", 100, 50);
  limits.add_options()
      ("max-expanded", po::value(&raw.max_expanded)->value_name("SIZE"),
       "bytes an input may expand to, nested archives included (K, M, G, T suffixes); default 64G")
      ("max-ratio", po::value(&raw.max_ratio)->value_name("N"),
       ("expansion ratio of an archive or compressed file, past 64M; default " + std::to_string(defaults.max_ratio)).c_str())
      ("max-members", po::value(&raw.max_members)->value_name("N"),
       ("archive members per input; default " + std::to_string(defaults.max_members)).c_str())
      ("max-depth", po::value(&raw.max_depth)->value_name("N"),
       ("archives inside archives, the outermost counting 1; default " + std::to_string(defaults.max_depth)).c_str());
  visible.add(limits);
  po::options_description rules("Known problems (rules; docs/rules.md)", 100, 50);
  AddRuleOptions(rules, raw.rules);
  visible.add(rules);
  po::options_description symbols("Symbolization of the --html examples (source lines and inline chains)", 100, 50);
  AddSymbolOptions(symbols, raw.symbols);
  visible.add(symbols);
  return visible;
}

std::optional<uint64_t> ParseSize(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t end = 0;
  uint64_t value = 0;
  try {
    value = std::stoull(text, &end);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::string unit = text.substr(end);
  for (const char* suffix : {"iB", "B"}) {
    const std::string s = suffix;
    if (unit.size() > s.size() && unit.compare(unit.size() - s.size(), s.size(), s) == 0) unit.resize(unit.size() - s.size());
  }
  int shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "k") shift = 10;
  else if (unit == "M") shift = 20;
  else if (unit == "G") shift = 30;
  else if (unit == "T") shift = 40;
  else return std::nullopt;
  if (shift > 0 && value > (UINT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  std::ostringstream s;
  s.precision(u == 0 ? 0 : 1);
  s << std::fixed << v << ' ' << units[u];
  return s.str();
}

}  // namespace

Result<TriageCommandOptions> ParseTriageOptions(const std::vector<std::string>& args) {
  RawTriageOptions raw;
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.paths); !e.empty()) return Error{e};
  TriageCommandOptions o;
  o.help = raw.help;
  if (o.help) return o;
  if (raw.paths.empty()) return Error{"triage: no PATH given (files, directories or archives)"};
  if (!raw.db.empty() && raw.no_db) return Error{"--db and --no-db exclude each other"};
  if (raw.rescan && raw.no_db) return Error{"--rescan needs the history (it conflicts with --no-db)"};
  o.paths = std::move(raw.paths);
  o.jobs = raw.jobs;
  o.rules = raw.rules;
  if (!raw.db.empty()) o.db = raw.db;
  o.no_db = raw.no_db;
  o.rescan = raw.rescan;
  o.output = raw.output;
  o.html = raw.html;
  o.symbols = raw.symbols;
  if (!raw.max_expanded.empty()) {
    std::optional<uint64_t> size = ParseSize(raw.max_expanded);
    if (!size || *size == 0) return Error{"invalid --max-expanded '" + raw.max_expanded + "' (expected a size: 512M, 64G...)"};
    o.limits.max_expanded_bytes = *size;
  }
  if (raw.shard_given) {
    Result<triage::ShardSpec> shard = triage::ParseShard(raw.shard);
    if (!shard) return shard.error();
    o.shard = *shard;
  }
  if (raw.max_ratio > 0) o.limits.max_ratio = raw.max_ratio;
  if (raw.max_members > 0) o.limits.max_members = raw.max_members;
  if (raw.max_depth > 0) o.limits.max_depth = raw.max_depth;
  return o;
}

std::string TriageHelp() {
  RawTriageOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage triage [OPTIONS] PATH...\n"
       "\n"
       "Batch post-mortem over what a fleet collects: finds every kernel log and crash dump in the\n"
       "PATHs (directories recursively; tar, zip and cpio archives, compressed or not, read as streams,\n"
       "archives inside archives too; gzip, xz, zstd, bzip2 and lz4 files), analyses them on --jobs\n"
       "workers and prints one summary: the known problems the rules recognised (rule, severity,\n"
       "count, hosts, first and last seen), then the crashes no rule knows, grouped by signature,\n"
       "each with an example input:line; signatures the history had never seen are marked 'new'.\n"
       "\n"
       "Kernel logs are recognised by name (dmesg*, kern.log*, messages*, syslog*, console*.log,\n"
       "vmcore-dmesg.txt, anything under var/log/ or sos_commands/kernel/) or by content; crash dumps\n"
       "by content; binaries and other files are skipped and counted. A kdump directory's dump and the\n"
       "dmesg beside it are one crash: the dmesg is read only when the dump cannot be. Archive members\n"
       "are named 'archive.tar.gz!dir/kern.log'.\n"
       "\n"
       "The history (SQLite) remembers every input by path, size, mtime and content hash: unchanged\n"
       "inputs are not read again, and their earlier results still count in the summary.\n"
       "--shard I/N reads one share of the inputs (files and archive members, by a hash of their name;\n"
       "a kdump directory's dump and dmesg stay together), for many jobs merged by 'ktriage merge'.\n"
       "An input that cannot be read is reported on stderr as 'ktriage: INPUT: reason'; the others\n"
       "are still analysed. Ctrl-C stops: what was done is summarised and remembered.\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Exit status:\n"
       "  0    every input was read\n"
       "  1    some input could not be read (or the history or output could not be written)\n"
       "  2    usage error, or a history database that is locked or corrupt (nothing was read)\n"
       "  130  interrupted by Ctrl-C (the summary covers what was done)\n"
       "\n"
       "Environment:\n"
       "  XDG_DATA_HOME, HOME  where the history is by default\n"
       "  TMPDIR               where dumps found inside archives are copied (unlinked files)\n"
       "\n"
       "Examples:\n"
       "  ktriage triage /srv/crash-collect/2026-11-22/\n"
       "  ktriage triage --jobs 8 --output fleet.jsonl sosreport-*.tar.xz /var/crash\n"
       "  ktriage triage --no-db --rules my-rules/ logs.tar.gz\n"
       "  ktriage triage --no-db --html fleet.html -r 6.1.0-50-cloud-amd64 /srv/crash-collect/\n"
       "  ktriage triage --shard 2/8 --db shard2.sqlite --output shard2.jsonl /srv/crash-collect/\n"
       "\n"
       "More: docs/triage.md; the JSON Lines: docs/json.md.\n";
  return s.str();
}

namespace {

void WriteHtml(triage::TriageSummary& summary, const TriageCommandOptions& options, const CliContext& context,
               std::ostream& html) {
  if (!options.symbols.off) {
    ReportSymbolizer symbolizer(ToReportSymbolizerOptions(options.symbols, context));
    triage::SymbolizeExamples(summary, symbolizer);
  }
  html << triage::FormatHtmlReport(summary, triage::HtmlReportInfo{options.paths, KTRIAGE_VERSION});
  html.flush();
}

}  // namespace

int TriageCommand(const std::vector<std::string>& args, const CliContext& context) {
  Result<TriageCommandOptions> parsed = ParseTriageOptions(args);
  if (!parsed) {
    return UsageError(context, "triage", parsed.error().message);
  }
  const TriageCommandOptions& options = *parsed;
  if (options.help) {
    context.out << TriageHelp();
    return kExitOk;
  }

  triage::TriageOptions run;
  run.paths = options.paths;
  run.jobs = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  run.limits = options.limits;
  run.shard = options.shard;
  run.rescan = options.rescan;
  run.temp_dir = context.temp_dir;
  run.dump_reader = context.dump_reader;
  run.now = static_cast<int64_t>(std::time(nullptr));
  if (!options.no_db) {
    if (options.db) {
      run.db_path = *options.db;
    } else {
      Result<std::string> path = history::DefaultHistoryPath(context.data_dir);
      if (!path) {
        context.err << "ktriage: " << path.error().message << '\n';
        return kExitUsage;
      }
      run.db_path = *path;
    }
  }

  std::vector<std::pair<std::string, std::string>> outputs;
  if (!options.output.empty()) outputs.push_back({"--output", options.output});
  if (!options.html.empty()) outputs.push_back({"--html", options.html});
  if (!run.db_path.empty()) outputs.push_back({"--db", run.db_path});
  if (Status distinct = CheckOutputs(outputs, options.paths); !distinct) {
    return UsageError(context, "triage", distinct.error().message);
  }
  pipeline::LoadedRuleSet rules = pipeline::LoadRuleSet(options.rules);
  for (const std::string& m : rules.messages) context.err << "ktriage: " << m << '\n';
  if (!rules.engine) {
    context.err << "ktriage: " << rules.engine.error().message << '\n';
    return kExitUsage;
  }
  Result<std::shared_ptr<const LogAnalyzer>> analyzer = LogAnalyzer::Create();
  if (!analyzer) {
    context.err << "ktriage: " << analyzer.error().message << '\n';
    return kExitInputError;
  }
  pipeline::Tools tools{*analyzer, *rules.engine};
  // Created before the run, so that an unwritable path fails before hours of work; put in place
  // only when complete, so that a killed run leaves what was there.
  std::unique_ptr<OutputFile> jsonl, html;
  for (auto [path, file] : {std::pair{&options.output, &jsonl}, std::pair{&options.html, &html}}) {
    if (path->empty()) continue;
    Result<std::unique_ptr<OutputFile>> created = OutputFile::Create(*path);
    if (!created) {
      context.err << "ktriage: " << created.error().message << '\n';
      return kExitInputError;
    }
    *file = std::move(*created);
    run.not_inputs.push_back(*path);  // an earlier run's output inside an input directory is not an input
  }
  if (jsonl) run.jsonl = &jsonl->stream();
  run.keep_examples = html != nullptr;

  // Progress only where a person watches: stderr is a terminal.
  const bool progress = context.stderr_is_tty;
  bool progress_shown = false;
  auto clear_progress = [&] {
    if (progress_shown) context.err << "\r\033[K" << std::flush;
    progress_shown = false;
  };
  run.on_error = [&](const std::string& line) {
    clear_progress();
    context.err << "ktriage: " << line << '\n';
  };
  run.on_skip = [&](const std::string& name, const std::string& reason) {
    clear_progress();
    context.err << "ktriage: " << name << ": skipped (" << reason << ")\n";
  };
  run.on_warning = [&](const std::string& line) {
    clear_progress();
    context.err << "ktriage: warning: " << line << '\n';
  };
  if (progress) {
    run.on_progress = [&](const triage::TriageProgress& p) {
      if (p.final) {
        clear_progress();
        return;
      }
      const double rate = p.seconds > 0 ? static_cast<double>(p.done) / p.seconds : 0;
      std::ostringstream line;
      line.precision(1);
      line << std::fixed << "\r\033[Ktriage: " << p.done << '/' << p.found << " inputs, " << HumanBytes(p.bytes) << ", "
           << p.findings << " findings, " << rate << " inputs/s";
      context.err << line.str() << std::flush;
      progress_shown = true;
    };
  }

  InterruptScope interrupt;
  run.interrupted = &g_interrupted;
  Result<triage::TriageResult> result = triage::RunTriage(run, std::move(tools));
  if (!result) {
    context.err << "ktriage: " << result.error().message << '\n';
    return kExitUsage;
  }
  context.out << triage::FormatSummary(result->summary);
  context.out.flush();
  if (jsonl) {
    if (Status s = jsonl->Commit(); !s) result->problems.push_back(s.error().message);
  }
  if (html) {
    WriteHtml(result->summary, options, context, html->stream());
    if (Status s = html->Commit(); !s) result->problems.push_back(s.error().message);
  }
  for (const std::string& p : result->problems) context.err << "ktriage: " << p << '\n';
  if (result->interrupted) return kExitInterrupted;
  if (!context.out) {
    context.err << "ktriage: error writing the output\n";
    return kExitInputError;
  }
  return result->summary.failed > 0 || !result->problems.empty() ? kExitInputError : kExitOk;
}

}  // namespace ktriage::cli
