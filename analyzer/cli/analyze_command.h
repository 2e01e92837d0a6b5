// `ktriage analyze`: find and summarise the crash reports in log files.
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "analyzer/cli/rule_options.h"
#include "analyzer/cli/symbol_options.h"
#include "base/result.h"

namespace ktriage::cli {

struct AnalyzeOptions {
  enum class Format { kText, kJson };
  enum class Color { kAuto, kAlways, kNever };

  Format format = Format::kText;   // --format text|json
  Color color = Color::kAuto;      // --color; auto = stdout is a TTY and NO_COLOR is unset/empty
  bool all_frames = false;         // --all-frames: no cap on frames per report in text output
  bool help = false;               // --help: print AnalyzeHelp() and do nothing else
  std::vector<std::string> paths;  // PATH...; "-" is standard input
  SymbolOptions symbols;           // where the debuginfo is (--vmlinux, -r, --modules...)
  RuleOptions rules;               // which rules classify (--rules, --skip-bad-rules)
  bool deep = true;                // dumps with debuginfo: stacks and namespaces (--no-deep skips)
};

// Usage errors come back as an Error whose message needs only the "ktriage: " prefix.
Result<AnalyzeOptions> ParseAnalyzeOptions(const std::vector<std::string>& args);
std::string AnalyzeHelp();
int RunAnalyze(const AnalyzeOptions& options, const CliContext& context);

// The command-table entry: parse, then run or report the usage error.
int AnalyzeCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
