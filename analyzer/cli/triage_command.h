// `ktriage triage`: batch post-mortem over directories, archives, logs and dumps (docs/triage.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "analyzer/cli/rule_options.h"
#include "analyzer/cli/symbol_options.h"
#include "base/result.h"
#include "analyzer/ingest/input_limits.h"
#include "analyzer/triage/shard.h"

namespace ktriage::cli {

// Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
inline constexpr int kExitInterrupted = 130;

struct TriageCommandOptions {
  std::vector<std::string> paths;       // PATH...
  unsigned jobs = 0;                    // --jobs; 0: the number of CPUs
  RuleOptions rules;                    // --rules, --skip-bad-rules
  std::optional<std::string> db;        // --db FILE; default: $XDG_DATA_HOME/ktriage/history.sqlite
  bool no_db = false;                   // --no-db
  bool rescan = false;                  // --rescan
  std::string output;                   // --output FILE.jsonl; "" for none
  std::string html;                     // --html FILE; "" for none
  SymbolOptions symbols;                // debuginfo for the --html examples' frames
  InputLimits limits;          // --max-expanded, --max-ratio, --max-members, --max-depth
  triage::ShardSpec shard;              // --shard I/N
  bool help = false;
};

Result<TriageCommandOptions> ParseTriageOptions(const std::vector<std::string>& args);
std::string TriageHelp();
int TriageCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
