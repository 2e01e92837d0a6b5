// `ktriage rules`: options, help, and the four subcommands over the rules library.
#include "analyzer/cli/rules_command.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/ingest/input_source.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "base/text.h"
#include "rules/log_classifier.h"
#include "rules/rule_engine.h"
#include "rules/rule_loader.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;
using nlohmann::ordered_json;

struct RawRulesOptions {
  std::string rule;
  std::string format;
  bool help = false;
  RuleOptions rules;
  SymbolOptions symbols;
  std::vector<std::string> positional;
};

// One description per subcommand, built in one place so that parsing and --help agree.
po::options_description LintOptions(RawRulesOptions& raw) {
  po::options_description d("lint options", 100, 50);
  d.add_options()("help,h", po::bool_switch(&raw.help), "show this help");
  return d;
}

po::options_description TestOptions(RawRulesOptions& raw) {
  po::options_description d("test options", 100, 50);
  d.add_options()("rule", po::value(&raw.rule)->value_name("ID"), "run only this rule's tests (all rules still load)")
                 ("help,h", po::bool_switch(&raw.help), "show this help");
  return d;
}

po::options_description ExplainOptions(RawRulesOptions& raw) {
  po::options_description d("explain options", 100, 50);
  AddRuleOptions(d, raw.rules);
  AddSymbolOptions(d, raw.symbols);
  d.add_options()("help,h", po::bool_switch(&raw.help), "show this help");
  return d;
}

po::options_description ListOptions(RawRulesOptions& raw) {
  po::options_description d("list options", 100, 50);
  d.add_options()("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
                  "text: one rule a line; json: {\"schema\": \"ktriage.rules-list/1\", \"rules\": [...]}")
                 ("help,h", po::bool_switch(&raw.help), "show this help");
  return d;
}

int Usage(const CliContext& context, const std::string& message) {
  context.err << "ktriage: " << message << "\nTry 'ktriage rules --help'.\n";
  return kExitUsage;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// An unknown rule id, with the ids it was probably meant to be: a typo away, or containing it.
int UnknownRule(const CliContext& context, const std::string& id, const std::vector<rules::Rule>& rules) {
  std::vector<std::pair<size_t, std::string>> close;
  for (const rules::Rule& r : rules) {
    const size_t d = EditDistance(id, r.id);
    const bool part = !id.empty() && (r.id.find(id) != std::string::npos || id.find(r.id) != std::string::npos);
    if (part || d <= std::max<size_t>(2, id.size() / 3)) close.emplace_back(part ? 0 : d, r.id);
  }
  std::sort(close.begin(), close.end());
  if (close.size() > 8) close.resize(8);
  context.err << "ktriage: rules: no rule '" << id << "' among the " << rules.size() << " loaded";
  if (close.empty()) {
    context.err << "; 'ktriage rules list' shows them all\n";
  } else {
    context.err << "; close ids:\n";
    for (const auto& [distance, name] : close) context.err << "  " << name << '\n';
  }
  return kExitUsage;
}

std::string Plural(size_t n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

// Prints the errors of a rule set: lint's output (warnings too), or on stderr as analyze prints
// them when another subcommand refuses or leaves rules out. Returns the number of errors.
size_t PrintDiagnostics(const rules::LoadedRules& loaded, std::ostream& out, bool lint) {
  size_t errors = 0;
  for (const rules::Diagnostic& d : loaded.diagnostics) {
    if (lint) out << d.ToString() << '\n';
    else if (d.error) out << "ktriage: " << d.ToString() << '\n';
    errors += d.error;
  }
  return errors;
}

int RunLint(const RulesOptions& options, const CliContext& context) {
  rules::LoadedRules loaded = rules::LoadRules(RulePaths(options.rules));
  size_t errors = PrintDiagnostics(loaded, context.out, /*lint=*/true);
  const size_t warnings = loaded.diagnostics.size() - errors;
  const size_t rule_count = loaded.rules.size() + loaded.skipped;
  // What loads must also compile together: one RE2::Set for every line pattern of every rule.
  Result<std::shared_ptr<const rules::RuleEngine>> engine = rules::RuleEngine::Create(std::move(loaded.rules));
  if (!engine.ok()) {
    context.out << "error: " << engine.error().message << '\n';
    ++errors;
  }
  context.out << Plural(loaded.files.size(), "file") << ", " << Plural(rule_count, "rule") << ": "
              << Plural(errors, "error") << ", " << Plural(warnings, "warning") << '\n';
  return errors > 0 ? kExitInputError : kExitOk;
}

int RunTest(const RulesOptions& options, const CliContext& context) {
  rules::LoadedRules loaded = rules::LoadRules(RulePaths(options.rules));
  if (const size_t errors = PrintDiagnostics(loaded, context.err, /*lint=*/false); errors > 0) {
    context.err << "ktriage: rules test: the rule set has " << Plural(errors, "error")
                << "; no test was run (fix them: ktriage rules lint)\n";
    return kExitInputError;
  }
  std::vector<rules::Rule> selected;
  for (const rules::Rule& r : loaded.rules) {
    if (options.rule_id.empty() || r.id == options.rule_id) selected.push_back(r);
  }
  if (selected.empty() && !options.rule_id.empty()) return UnknownRule(context, options.rule_id, loaded.rules);
  Result<std::shared_ptr<const LogAnalyzer>> analyzer = LogAnalyzer::Create();
  if (!analyzer.ok()) {
    context.err << "ktriage: " << analyzer.error().message << '\n';
    return kExitInputError;
  }
  // The whole set is compiled, as analyze compiles it: a test then also sees the effect of the
  // other rules' patterns on the shared RE2::Set.
  Result<std::shared_ptr<const rules::RuleEngine>> engine = rules::RuleEngine::Create(loaded.rules);
  if (!engine.ok()) {
    context.err << "ktriage: rules test: " << engine.error().message << '\n';
    return kExitInputError;
  }
  const std::vector<rules::RuleTestResult> results = rules::RunRuleTests(selected, **analyzer, *engine);
  size_t failed = 0;
  for (const rules::RuleTestResult& r : results) {
    if (r.passed) {
      context.out << "PASS " << r.rule_id << ": " << r.name << '\n';
    } else {
      ++failed;
      context.out << "FAIL " << r.rule_id << ": " << r.name << " (" << r.where.file << ":" << r.where.line
                  << "): " << SanitizeUtf8(r.message) << '\n';
    }
  }
  std::vector<std::string> untested;
  for (const rules::Rule& r : selected) {
    if (r.tests.empty()) untested.push_back(r.id);
  }
  context.out << Plural(results.size(), "test") << " of " << Plural(selected.size(), "rule") << ": "
              << results.size() - failed << " passed, " << failed << " failed";
  if (!untested.empty()) {
    context.out << "; without tests:";
    for (const std::string& id : untested) context.out << ' ' << id;
  }
  context.out << '\n';
  return failed > 0 ? kExitInputError : kExitOk;
}

// The input read the way `analyze` reads it (a dump's log with its facts, symbolized frames), so
// that the verdicts explained are the ones analyze reaches.
struct Scanned {
  std::unique_ptr<rules::RuleScanner> scanner;
  size_t reports = 0;
  uint64_t lines = 0;
  bool vmcore = false;
  std::optional<Error> error;  // the input failed mid-way: what came before was scanned
};

Result<Scanned> Scan(const std::string& path, const LogAnalyzer& analyzer,
                     std::shared_ptr<const rules::RuleEngine> engine, std::optional<ReportSymbolizer>& symbolizer) {
  Scanned out;
  out.scanner = std::make_unique<rules::RuleScanner>(std::move(engine));
  rules::RuleScanner& scanner = *out.scanner;
  rules::SystemFacts system;
  std::string build_id;
  std::string log_text;  // a dump's log, which the memory input reads in place
  std::unique_ptr<InputSource> source;
  if (path != "-" && LooksLikeDump(path)) {
    VmcoreReadOptions read;
    read.symbols = false;  // the CPUs' PCs play no part in rules
    Result<VmcoreContents> dump = ReadVmcore({path}, read);
    if (!dump.ok()) return dump.error();
    if (!dump->log) return Error{path + ": the crash dump's kernel log could not be read"};
    log_text = FormatPrintkLog(*dump->log, /*with_caller=*/true);
    source = MemoryInput(log_text, path);
    system.release = dump->facts.osrelease;
    system.panic_message = dump->facts.panic_message;
    system.vmcore = true;
    build_id = dump->facts.build_id;
    out.vmcore = true;
  } else {
    Result<std::unique_ptr<InputSource>> opened = OpenInputFile(path);
    if (!opened.ok()) return opened.error();
    source = std::move(*opened);
  }
  LogAnalysisResult result = analyzer.Analyze(
      *source,
      [&](CrashReport&& report) {
        if (symbolizer) symbolizer->Annotate(report, build_id);
        scanner.OnReport(report);
        ++out.reports;
        if (system.panic_message.empty()) system.panic_message = report.panic_message;
      },
      [&](const LogLine& line) { scanner.OnLine(line); });
  if (system.release.empty()) system.release = result.analysis.system.kernel_release;
  system.hardware = result.analysis.system.hardware;
  scanner.SetSystem(std::move(system));
  out.lines = result.analysis.stats.lines;
  out.error = std::move(result.error);
  return out;
}

int RunExplain(const RulesOptions& options, const CliContext& context) {
  rules::LoadedRules loaded = rules::LoadRules(RulePaths(options.rules));
  if (loaded.has_errors() && !options.rules.skip_bad) {
    const size_t errors = PrintDiagnostics(loaded, context.err, /*lint=*/false);
    context.err << "ktriage: rules explain: the rule set has " << Plural(errors, "error")
                << "; fix them (ktriage rules lint) or give --skip-bad-rules\n";
    return kExitInputError;
  }
  auto rule = std::find_if(loaded.rules.begin(), loaded.rules.end(),
                           [&](const rules::Rule& r) { return r.id == options.rule_id; });
  if (rule == loaded.rules.end()) return UnknownRule(context, options.rule_id, loaded.rules);
  const rules::Rule explained = *rule;
  if (loaded.has_errors()) {
    context.err << "ktriage: skipping " << Plural(loaded.skipped, "rule") << " with errors (ktriage rules lint)\n";
  }
  Result<std::shared_ptr<const rules::RuleEngine>> engine = rules::RuleEngine::Create(std::move(loaded.rules));
  if (!engine.ok()) {
    context.err << "ktriage: rules explain: " << engine.error().message << '\n';
    return kExitInputError;
  }
  Result<std::shared_ptr<const LogAnalyzer>> analyzer = LogAnalyzer::Create();
  if (!analyzer.ok()) {
    context.err << "ktriage: " << analyzer.error().message << '\n';
    return kExitInputError;
  }
  std::optional<ReportSymbolizer> symbolizer;
  if (!options.symbols.off) symbolizer.emplace(ToReportSymbolizerOptions(options.symbols, context));
  Result<Scanned> scanned = Scan(options.input, **analyzer, *engine, symbolizer);
  const std::string name = options.input == "-" ? "<stdin>" : options.input;
  if (!scanned.ok()) {
    const std::string& m = scanned.error().message;
    context.err << "ktriage: " << (m.rfind(name + ": ", 0) == 0 ? m : name + ": " + m) << '\n';
    return kExitInputError;
  }
  if (scanned->error) context.err << "ktriage: " << scanned->error->message << " (explaining what was read before)\n";

  std::ostream& out = context.out;
  out << "rule " << explained.id << " (" << explained.where.ToString() << "), "
      << (explained.report_scoped ? "report-scoped: evaluated on each report" : "log-scoped: evaluated on the whole log")
      << '\n';
  out << "input " << name << ": " << (scanned->vmcore ? "crash dump, " : "") << Plural(scanned->lines, "line") << ", "
      << Plural(scanned->reports, "report") << "\n\n";
  for (const rules::TraceStep& s : scanned->scanner->Explain(explained.id)) {
    const std::string indent(static_cast<size_t>(s.depth) * 2, ' ');
    out << indent << (s.held ? "held   " : "failed ") << SanitizeUtf8(s.what) << "  [" << s.where.ToString() << "]\n";
    if (!s.detail.empty()) out << indent << "       " << SanitizeUtf8(s.detail) << '\n';
  }
  std::vector<rules::Finding> mine;
  for (rules::Finding& f : scanned->scanner->Evaluate()) {
    if (f.rule_id == explained.id) mine.push_back(std::move(f));
  }
  out << '\n';
  if (mine.empty()) {
    out << "result: the rule did not fire\n";
  } else {
    out << "result: the rule fired: " << Plural(mine.size(), "finding") << '\n';
    for (const rules::Finding& f : mine) {
      out << "  " << SanitizeUtf8(f.summary);
      if (f.report) out << " (report #" << *f.report << ")";
      if (f.corroborated) out << " (corroborated)";
      out << '\n';
      for (const rules::EvidenceLine& e : f.evidence) out << "    line " << e.line << ": " << SanitizeUtf8(e.text) << '\n';
    }
  }
  return scanned->error ? kExitInputError : kExitOk;
}

int RunList(const RulesOptions& options, const CliContext& context) {
  rules::LoadedRules loaded = rules::LoadRules(RulePaths(options.rules));
  const size_t errors = PrintDiagnostics(loaded, context.err, /*lint=*/false);
  if (errors > 0) {
    context.err << "ktriage: rules list: " << Plural(loaded.skipped, "rule") << " with errors left out (ktriage rules lint)\n";
  }
  std::vector<const rules::Rule*> sorted;
  for (const rules::Rule& r : loaded.rules) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const rules::Rule* a, const rules::Rule* b) { return a->id < b->id; });
  if (options.format == RulesOptions::Format::kJson) {
    ordered_json doc;
    doc["schema"] = "ktriage.rules-list/1";
    doc["rules"] = ordered_json::array();
    for (const rules::Rule* r : sorted) {
      ordered_json j;
      j["id"] = r->id;
      j["severity"] = rules::SeverityName(r->severity);
      j["title"] = SanitizeUtf8(r->title);
      j["tags"] = ordered_json::array();
      for (const std::string& t : r->tags) j["tags"].push_back(SanitizeUtf8(t));
      j["tests"] = r->tests.size();
      j["scope"] = r->report_scoped ? "report" : "log";
      j["where"] = r->where.ToString();
      doc["rules"].push_back(std::move(j));
    }
    context.out << doc.dump(2) << '\n';
  } else {
    size_t width = 2;
    for (const rules::Rule* r : sorted) width = std::max(width, r->id.size());
    for (const rules::Rule* r : sorted) {
      std::string id = r->id, severity = rules::SeverityName(r->severity);
      id.resize(width, ' ');
      severity.resize(8, ' ');
      std::string tests = std::to_string(r->tests.size()) + (r->tests.size() == 1 ? " test " : " tests");
      std::string tags;
      for (const std::string& t : r->tags) tags += (tags.empty() ? "" : ",") + t;
      context.out << id << "  " << severity << "  " << tests << "  " << SanitizeUtf8(r->title)
                  << (tags.empty() ? "" : "  [" + SanitizeUtf8(tags) + "]") << '\n';
    }
    context.out << Plural(sorted.size(), "rule") << " in " << Plural(loaded.files.size(), "file") << '\n';
  }
  return errors > 0 ? kExitInputError : kExitOk;
}

}  // namespace

Result<RulesOptions> ParseRulesOptions(const std::vector<std::string>& args) {
  RulesOptions options;
  if (args.empty()) return Error{"rules: missing subcommand (lint, test, explain or list)"};
  const std::string& sub = args[0];
  if (sub == "--help" || sub == "-h") {
    options.help = true;
    return options;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  RawRulesOptions raw;
  std::string e;
  if (sub == "lint") {
    options.action = RulesOptions::Action::kLint;
    e = ParseCommandLine(rest, LintOptions(raw), raw.positional);
  } else if (sub == "test") {
    options.action = RulesOptions::Action::kTest;
    e = ParseCommandLine(rest, TestOptions(raw), raw.positional);
  } else if (sub == "explain") {
    options.action = RulesOptions::Action::kExplain;
    e = ParseCommandLine(rest, ExplainOptions(raw), raw.positional);
  } else if (sub == "list") {
    options.action = RulesOptions::Action::kList;
    e = ParseCommandLine(rest, ListOptions(raw), raw.positional);
  } else {
    return Error{"rules: no such subcommand: '" + sub + "' (lint, test, explain or list)"};
  }
  if (!e.empty()) return Error{"rules " + sub + ": " + e};
  options.help = raw.help;
  if (options.help) return options;
  if (options.action == RulesOptions::Action::kExplain) {
    if (raw.positional.size() != 2) {
      return Error{"rules explain: expected RULE_ID INPUT, got " + std::to_string(raw.positional.size()) +
                   " argument(s) (rule files go after --rules)"};
    }
    options.rule_id = raw.positional[0];
    options.input = raw.positional[1];
    options.rules = raw.rules;
    options.symbols = raw.symbols;
    return options;
  }
  options.rules.paths = raw.positional;
  options.rule_id = raw.rule;
  if (options.action == RulesOptions::Action::kList) {
    if (raw.format == "text") options.format = RulesOptions::Format::kText;
    else if (raw.format == "json") options.format = RulesOptions::Format::kJson;
    else return Error{"rules list: invalid --format '" + raw.format + "' (expected text or json)"};
  }
  return options;
}

std::string RulesHelp() {
  RawRulesOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage rules lint [PATH...]\n"
       "       ktriage rules test [--rule ID] [PATH...]\n"
       "       ktriage rules explain [--rules PATH]... RULE_ID INPUT\n"
       "       ktriage rules list [--format text|json] [PATH...]\n"
       "\n"
       "Tools for writing the rules that name known problems (the language: docs/rules.md).\n"
       "PATH is a rule file or a directory searched recursively for *.yaml and *.yml; the\n"
       "default is the shipped rules (" << ShippedRulesDir() << ").\n"
       "\n"
       "  lint     every problem of the rule files as FILE:LINE:COL: error|warning: rule ID: message\n"
       "           (syntax, unknown keys, wrong types, patterns RE2 rejects, duplicate ids, summary\n"
       "           fields never captured, conditions that can never hold), then a count\n"
       "  test     runs the tests every rule carries, with the whole rule set compiled as analyze\n"
       "           compiles it: PASS ID: NAME or FAIL ID: NAME (FILE:LINE): what was expected, what\n"
       "           came, and the first condition that failed; refuses to run on lint errors\n"
       "  explain  reads INPUT (a log, a crash dump, or '-' for standard input) as analyze does and\n"
       "           prints the verdict of each condition of RULE_ID, indented as written, with\n"
       "           where it is written and why it failed (the nearest miss); then the findings\n"
       "  list     id, severity, number of tests, title and tags of every rule, sorted by id\n"
       "\n"
    << LintOptions(raw) << "\n"
    << TestOptions(raw) << "\n"
    << ExplainOptions(raw) << "\n"
    << ListOptions(raw)
    << "\n"
       "Exit status:\n"
       "  0  no lint error, every test passed, the explanation or list was printed\n"
       "  1  lint errors (test refuses to run on them, explain too unless --skip-bad-rules), a\n"
       "     failing test, or an INPUT that could not be read\n"
       "  2  usage error: unknown subcommand or option, unknown RULE_ID (the close ids are listed)\n"
       "\n"
       "Examples:\n"
       "  ktriage rules lint\n"
       "  ktriage rules lint my-rules/\n"
       "  ktriage rules test --rule net.igb.vf-vlan-override-nack\n"
       "  ktriage rules test my-rules/ rules/shipped/\n"
       "  ktriage rules explain net.igb.vf-vlan-override-nack /var/log/kern.log\n"
       "  ktriage rules explain --rules my-rules/ my.rule.id /var/crash/202611221000/dump.202611221000\n"
       "  ktriage rules list --format json | jq -r '.rules[].id'\n"
       "  ktriage analyze --rules my-rules/ --format json console.log\n";
  return s.str();
}

int RunRules(const RulesOptions& options, const CliContext& context) {
  switch (options.action) {
    case RulesOptions::Action::kLint: return RunLint(options, context);
    case RulesOptions::Action::kTest: return RunTest(options, context);
    case RulesOptions::Action::kExplain: return RunExplain(options, context);
    case RulesOptions::Action::kList: return RunList(options, context);
  }
  return kExitUsage;
}

int RulesCommand(const std::vector<std::string>& args, const CliContext& context) {
  Result<RulesOptions> options = ParseRulesOptions(args);
  if (!options.ok()) return Usage(context, options.error().message);
  if (options->help) {
    context.out << RulesHelp();
    return kExitOk;
  }
  return RunRules(*options, context);
}

}  // namespace ktriage::cli
