// `ktriage symbolize`: a kernel log with its stack frames symbolized, as the kernel's
// scripts/decode_stacktrace.sh prints it (text) or one JSON object per frame line (json).
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "analyzer/cli/symbol_options.h"
#include "base/result.h"

namespace ktriage::cli {

struct SymbolizeOptions {
  enum class Format { kText, kJson };

  Format format = Format::kText;  // --format text|json
  bool help = false;              // --help: print SymbolizeHelp() and do nothing else
  std::string path = "-";         // FILE; "-" (the default) is standard input
  SymbolOptions symbols;          // where the debuginfo is (--vmlinux, -r, --modules, --debug-root)
};

// Usage errors come back as an Error whose message needs only the "ktriage: " prefix.
Result<SymbolizeOptions> ParseSymbolizeOptions(const std::vector<std::string>& args);
std::string SymbolizeHelp();
int RunSymbolize(const SymbolizeOptions& options, const CliContext& context);

// The command-table entry: parse, then run or report the usage error.
int SymbolizeCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
