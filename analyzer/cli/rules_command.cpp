// `ktriage rules`: options, help, and the four subcommands over the rules library.
#include "analyzer/cli/rules_command.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <optional>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/output/rules_output.h"
#include "analyzer/pipeline/rule_tools.h"
#include "analyzer/report/log_analysis.h"
#include "rules/rule_engine.h"
#include "rules/rule_loader.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

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

// An unknown rule id, with the ids it was probably meant to be.
int UnknownRule(const CliContext& context, const std::string& id, const std::vector<rules::Rule>& rules) {
  const std::vector<std::string> close = rules::SimilarRuleIds(id, rules);
  context.err << "ktriage: rules: no rule '" << id << "' among the " << rules.size() << " loaded";
  if (close.empty()) {
    context.err << "; 'ktriage rules list' shows them all\n";
  } else {
    context.err << "; close ids:\n";
    for (const std::string& name : close) context.err << "  " << name << '\n';
  }
  return kExitUsage;
}

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
  rules::LoadedRules loaded = rules::LoadRules(pipeline::RulePaths(options.rules));
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
  rules::LoadedRules loaded = rules::LoadRules(pipeline::RulePaths(options.rules));
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
  pipeline::Tools tools;
  Result<std::shared_ptr<const LogAnalyzer>> analyzer = LogAnalyzer::Create();
  if (!analyzer.ok()) {
    context.err << "ktriage: " << analyzer.error().message << '\n';
    return kExitInputError;
  }
  tools.reports = *analyzer;
  Result<std::shared_ptr<const rules::RuleEngine>> engine = rules::RuleEngine::Create(loaded.rules);
  if (!engine.ok()) {
    context.err << "ktriage: rules test: " << engine.error().message << '\n';
    return kExitInputError;
  }
  tools.rules = *engine;
  const std::vector<pipeline::RuleTestResult> results = pipeline::RunRuleTests(selected, tools);
  WriteRuleTestResults(context.out, results, selected);
  const bool failed = std::any_of(results.begin(), results.end(), [](const auto& r) { return !r.passed; });
  return failed ? kExitInputError : kExitOk;
}

int RunExplain(const RulesOptions& options, const CliContext& context) {
  rules::LoadedRules loaded = rules::LoadRules(pipeline::RulePaths(options.rules));
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
  pipeline::Tools tools;
  Result<std::shared_ptr<const rules::RuleEngine>> engine = rules::RuleEngine::Create(std::move(loaded.rules));
  if (!engine.ok()) {
    context.err << "ktriage: rules explain: " << engine.error().message << '\n';
    return kExitInputError;
  }
  tools.rules = *engine;
  Result<std::shared_ptr<const LogAnalyzer>> analyzer = LogAnalyzer::Create();
  if (!analyzer.ok()) {
    context.err << "ktriage: " << analyzer.error().message << '\n';
    return kExitInputError;
  }
  tools.reports = *analyzer;
  // The input is read as analyze reads it: symbolized, a dump with its deep analyses, so that the
  // verdicts explained are the ones analyze reaches.
  std::optional<ReportSymbolizer> symbolizer;
  if (!options.symbols.off) symbolizer.emplace(ToReportSymbolizerOptions(options.symbols, context));
  pipeline::InputOptions read;
  read.symbolizer = symbolizer ? &*symbolizer : nullptr;
  read.deep = true;
  read.dump = DumpSessionOptionsOf(context);
  Result<InputResult> result = pipeline::ExplainRule(explained.id, options.input, tools, read);
  const std::string name = options.input == "-" ? "<stdin>" : options.input;
  if (!result.ok()) {
    const std::string& m = result.error().message;
    context.err << "ktriage: " << (m.rfind(name + ": ", 0) == 0 ? m : name + ": " + m) << '\n';
    return kExitInputError;
  }
  for (const std::string& e : result->errors) context.err << "ktriage: " << e << " (explaining what was read before)\n";
  WriteExplanation(context.out, explained, name, *result);
  return result->errors.empty() ? kExitOk : kExitInputError;
}

int RunList(const RulesOptions& options, const CliContext& context) {
  rules::LoadedRules loaded = rules::LoadRules(pipeline::RulePaths(options.rules));
  const size_t errors = PrintDiagnostics(loaded, context.err, /*lint=*/false);
  if (errors > 0) {
    context.err << "ktriage: rules list: " << Plural(loaded.skipped, "rule") << " with errors left out (ktriage rules lint)\n";
  }
  WriteRuleList(context.out, loaded.rules, loaded.files.size(), options.format == RulesOptions::Format::kJson);
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
       "default is the shipped rules (" << pipeline::ShippedRulesDir() << ").\n"
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
  if (!options.ok()) return UsageError(context, "rules", options.error().message);
  if (options->help) {
    context.out << RulesHelp();
    return kExitOk;
  }
  return RunRules(*options, context);
}

}  // namespace ktriage::cli
