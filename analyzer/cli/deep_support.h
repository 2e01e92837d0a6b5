// What the commands that read a dump with its vmlinux share (bt, net, analyze): finding the
// dump's own vmlinux, and symbolizing the stacks the deep analysis unwound.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"
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

// A dump (or split set) opened with its own vmlinux for the deep analyses. The error is one line
// for "ktriage: " to prefix: the dump cannot be opened, no vmlinux is found, or it is another build.
struct OpenedDump {
  std::unique_ptr<DumpFile> dump;
  std::string vmlinux;
  std::unique_ptr<kernel::KernelState> state;
};
Result<OpenedDump> OpenDumpWithVmlinux(const std::vector<std::string>& paths, const SymbolOptions& options,
                                       const CliContext& context);

// The deep analyses of one dump (stacks, namespaces), symbolized; nullopt with `note` saying why
// when they cannot run.
std::optional<kernel::DeepAnalysis> AnalyzeDumpDeeply(const std::string& path, const SymbolOptions& options,
                                                      ReportSymbolizer& symbolizer, const CliContext& context,
                                                      std::string* note);

// Where KernelState keeps the type index of each build: CliContext::cache_dir + "/types".
inline std::string TypesCacheDir(const std::string& cache_dir) { return cache_dir.empty() ? "" : cache_dir + "/types"; }

// Source lines and inline chains for every named frame, by name and offset (the symbolizer
// checks sizes as kallsyms prints them, which is not ELF's st_size: the size is put back after).
void SymbolizeStacks(kernel::DeepAnalysis& analysis, ReportSymbolizer& symbolizer, const std::string& release,
                     const std::string& build_id);

}  // namespace ktriage::cli
