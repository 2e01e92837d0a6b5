// What the commands that read a dump with its vmlinux share (bt, net, analyze): finding the
// dump's own vmlinux, and symbolizing the stacks the deep analysis unwound.
#pragma once

#include <optional>
#include <string>

#include "analyzer/cli/symbol_options.h"
#include "analyzer/kernel_state/deep_analysis.h"
#include "analyzer/symbolize/report_symbolizer.h"
#include "analyzer/vmcore/vmcoreinfo.h"
#include "base/result.h"

namespace ktriage::cli {

// `explicit_vmlinux` (--vmlinux) when given, else the debuginfo search by the dump's BUILD-ID,
// then its release (or `release`, -r). The error says what was searched.
Result<std::string> FindDumpVmlinux(const std::string& osrelease, const std::string& build_id,
                                    const std::string& explicit_vmlinux, const std::string& release,
                                    const symbols::SearchPaths& search);

// The deep analyses of one dump (stacks, namespaces), symbolized; nullopt with `note` saying why
// when they cannot run (no vmlinux with DWARF, or one of another build).
std::optional<kernel::DeepAnalysis> AnalyzeDumpDeeply(const std::string& path, const std::string& osrelease,
                                                      const std::string& build_id, const SymbolOptions& options,
                                                      ReportSymbolizer& symbolizer,
                                                      const symbols::SearchPaths& search, const std::string& cache_dir,
                                                      std::string* note);

// Where KernelState keeps the type index of each build: CliContext::cache_dir + "/types".
inline std::string TypesCacheDir(const std::string& cache_dir) { return cache_dir.empty() ? "" : cache_dir + "/types"; }

// Source lines and inline chains for every named frame, by name and offset (the symbolizer
// checks sizes as kallsyms prints them, which is not ELF's st_size: the size is put back after).
void SymbolizeStacks(kernel::DeepAnalysis& analysis, ReportSymbolizer& symbolizer, const std::string& release,
                     const std::string& build_id);

}  // namespace ktriage::cli
