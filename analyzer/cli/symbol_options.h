// The symbolization options shared by the commands that print frames (analyze, symbolize) and
// read dumps (bt, net, ps, mod): where the debuginfo is, parsed once here so that every command
// spells them the same way.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "analyzer/kernel_state/kernel_state.h"
#include "analyzer/pipeline/dump_analyses.h"
#include "analyzer/symbolize/report_symbolizer.h"

namespace ktriage::cli {

struct SymbolOptions {
  std::string vmlinux;
  std::string release;
  std::vector<std::string> module_dirs;
  std::vector<std::string> debug_roots;
  bool off = false;  // --no-symbols
  std::string types = "auto";  // --types (commands that read a dump's memory)
  double debuginfod_timeout = 30;  // --debuginfod-timeout, seconds
};

// Adds --vmlinux, -r/--release, --modules, --debug-root and (unless `always`) --no-symbols.
void AddSymbolOptions(boost::program_options::options_description& options, SymbolOptions& raw, bool always = false);
ReportSymbolizerOptions ToReportSymbolizerOptions(const SymbolOptions& raw, const CliContext& context);
// Adds --types auto|btf|dwarf: where a dump's deep analyses take struct layouts from.
void AddTypeSourceOption(boost::program_options::options_description& options, SymbolOptions& raw);
// The choice --types names; nullopt for a word it does not know.
std::optional<kernel::TypeSourceChoice> TypeSourceOf(const SymbolOptions& raw);

// The "Debuginfo" group of the commands that read a dump's memory (bt, net, ps, mod): the symbol
// options (always on) and --types.
boost::program_options::options_description DumpDebuginfoOptions(SymbolOptions& raw);
// Those commands' reading of `paths` with the deep analyses `options` (stacks symbolized when
// `symbolize`). On failure the message is written (a usage error for a bad --types, else the
// dump's one line) and the exit code returned; on success *out holds the result.
std::optional<int> ReadDumpForCommand(const CliContext& context, const std::string& command, const SymbolOptions& raw,
                                      const std::vector<std::string>& paths, const kernel::DeepOptions& options,
                                      bool symbolize, pipeline::DumpAnalysisResult* out);

}  // namespace ktriage::cli
