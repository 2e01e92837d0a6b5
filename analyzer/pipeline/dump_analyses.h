// What a dump shows with its own vmlinux beyond its log: finding that vmlinux, the deep analyses
// (every CPU's and blocked task's stack, the network namespaces) and their symbolization. Shared
// by analyze, rules explain, bt and net through DumpSession.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_analyses/deep_analysis.h"
#include "analyzer/pipeline/dump_session.h"
#include "analyzer/symbolize/report_symbolizer.h"
#include "base/result.h"

namespace ktriage::pipeline {

// Where the kernel state of each build is cached under a cache directory ("" for nowhere).
std::string TypesCacheDir(const std::string& cache_dir);

// `symbols.vmlinux` (--vmlinux) when given, else the debuginfo search by the dump's BUILD-ID, then
// its release (or `symbols.release`, -r). The error says what was searched.
Result<std::string> FindDumpVmlinux(const VmcoreFacts& facts, const ReportSymbolizerOptions& symbols);

// The session's kernel state with the vmlinux FindDumpVmlinux finds (its path in *vmlinux; "" and
// a line in *notes when there is none: the dump's own BTF and kallsyms serve). The error is one
// line naming the dump: the vmlinux is another build, or the dump has no types or symbols.
Result<kernel::KernelState*> OpenDumpKernel(DumpSession& session, const ReportSymbolizerOptions& symbols,
                                            std::string* vmlinux, std::vector<std::string>* notes);

// Source lines and inline chains for every named frame, by name and offset (the symbolizer
// checks sizes as kallsyms prints them, which is not ELF's st_size: the size is put back after).
void SymbolizeStacks(kernel::DeepAnalysis& analysis, ReportSymbolizer& symbolizer, const std::string& release,
                     const std::string& build_id);

// The deep analyses `options` asks for, symbolized when a vmlinux is found (`symbolizer` null: none
// is looked for); an error saying why they cannot run (for analyze's note: another build, no
// types or symbols in the dump).
Result<kernel::DeepAnalysis> AnalyzeDump(DumpSession& session, ReportSymbolizer* symbolizer,
                                         const kernel::DeepOptions& options = {});

// `ktriage bt` and `ktriage net`: the dump read, opened with its own vmlinux when one is found,
// the analyses `options` asks for; stacks symbolized with that vmlinux when `symbolize`. The error
// is one line naming the dump (it cannot be read, the vmlinux is another build, no types).
struct DumpAnalysisResult {
  std::string dump;     // the first file, as given
  std::string vmlinux;  // the one the analyses read; "" when none was found
  kernel::DeepAnalysis analysis;
};
Result<DumpAnalysisResult> AnalyzeDumpFiles(const std::vector<std::string>& paths, const DumpSessionOptions& dump,
                                            const ReportSymbolizerOptions& symbols,
                                            const kernel::DeepOptions& options, bool symbolize);

}  // namespace ktriage::pipeline
