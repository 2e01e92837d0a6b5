// The symbolization options shared by the commands that print frames (analyze, symbolize):
// where the debuginfo is, parsed once here so that every command spells them the same way.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
#include "analyzer/symbolize/report_symbolizer.h"

namespace ktriage::cli {

struct SymbolOptions {
  std::string vmlinux;
  std::string release;
  std::vector<std::string> module_dirs;
  std::vector<std::string> debug_roots;
  bool off = false;  // --no-symbols
};

// Adds --vmlinux, -r/--release, --modules, --debug-root and (unless `always`) --no-symbols.
void AddSymbolOptions(boost::program_options::options_description& options, SymbolOptions& raw, bool always = false);
ReportSymbolizerOptions ToReportSymbolizerOptions(const SymbolOptions& raw, const CliContext& context);

}  // namespace ktriage::cli
