// FindDumpVmlinux, OpenDumpKernel, SymbolizeStacks, AnalyzeDump.
#include "analyzer/pipeline/dump_analyses.h"

#include "symbols/debuginfo_locator.h"

namespace ktriage::pipeline {

std::string TypesCacheDir(const std::string& cache_dir) { return cache_dir.empty() ? "" : cache_dir + "/types"; }

Result<std::string> FindDumpVmlinux(const VmcoreFacts& facts, const ReportSymbolizerOptions& symbols) {
  if (!symbols.vmlinux.empty()) return symbols.vmlinux;
  symbols::DebuginfoLocator locator(symbols.search);
  symbols::Located found = locator.Vmlinux(symbols.release.empty() ? facts.osrelease : symbols.release, facts.build_id);
  if (found.files.empty()) {
    return Error{"no vmlinux with debuginfo for " + facts.osrelease + " (build " + facts.build_id + "); searched " +
                 found.searched + "; give --vmlinux or --debug-root, or install the -dbg package"};
  }
  return found.files.front();
}

Result<kernel::KernelState*> OpenDumpKernel(DumpSession& session, const ReportSymbolizerOptions& symbols,
                                            std::string* vmlinux, std::vector<std::string>* notes) {
  Result<std::string> found = FindDumpVmlinux(session.facts(), symbols);
  // Without a vmlinux the dump's own BTF, kallsyms and ORC serve; only source lines are missing.
  *vmlinux = found ? *found : "";
  if (!found && notes != nullptr) notes->push_back(found.error().message + ": frames have no source lines");
  Result<kernel::KernelState*> state = session.Kernel(*vmlinux);
  // The dump alone does not do: say where the vmlinux was looked for, too.
  if (!state && !found) return Error{state.error().message + " (" + found.error().message + ")"};
  return state;
}

void SymbolizeStacks(kernel::DeepAnalysis& analysis, ReportSymbolizer& symbolizer, const std::string& release,
                     const std::string& build_id) {
  auto annotate = [&](std::vector<kernel::DeepStack>& stacks) {
    for (kernel::DeepStack& s : stacks) {
      for (Frame& f : s.frames) {
        if (f.function.empty()) continue;
        const std::optional<uint64_t> size = f.size;
        f.size.reset();
        symbolizer.AnnotateFrame(f, release, build_id);
        f.size = size;
      }
    }
  };
  annotate(analysis.cpus);
  annotate(analysis.tasks);
}

Result<kernel::DeepAnalysis> AnalyzeDump(DumpSession& session, ReportSymbolizer* symbolizer,
                                         const kernel::DeepOptions& options) {
  std::string vmlinux;
  std::vector<std::string> notes;
  Result<kernel::KernelState*> state = symbolizer != nullptr
                                           ? OpenDumpKernel(session, symbolizer->options(), &vmlinux, &notes)
                                           : session.Kernel("");
  if (!state) return state.error();
  Result<DumpFile*> memory = session.Memory();
  if (!memory) return memory.error();
  kernel::DeepAnalysis analysis = kernel::RunDeepAnalysis(**state, **memory, options);
  analysis.notes.insert(analysis.notes.begin(), notes.begin(), notes.end());
  if (symbolizer != nullptr && !vmlinux.empty())
    SymbolizeStacks(analysis, *symbolizer, session.facts().osrelease, session.facts().build_id);
  return analysis;
}

Result<DumpAnalysisResult> AnalyzeDumpFiles(const std::vector<std::string>& paths, const DumpSessionOptions& dump,
                                            const ReportSymbolizerOptions& symbols,
                                            const kernel::DeepOptions& options, bool symbolize) {
  Result<std::unique_ptr<DumpSession>> session = DumpSession::Open(paths, dump);
  if (!session) return session.error();
  DumpAnalysisResult out;
  out.dump = paths.front();
  std::vector<std::string> notes;
  Result<kernel::KernelState*> state = OpenDumpKernel(**session, symbols, &out.vmlinux, &notes);
  if (!state) return state.error();
  Result<DumpFile*> memory = (*session)->Memory();
  if (!memory) return memory.error();
  out.analysis = kernel::RunDeepAnalysis(**state, **memory, options);
  out.analysis.notes.insert(out.analysis.notes.begin(), notes.begin(), notes.end());
  if (symbolize && !out.vmlinux.empty()) {
    ReportSymbolizerOptions with_vmlinux = symbols;
    with_vmlinux.vmlinux = out.vmlinux;
    ReportSymbolizer symbolizer(with_vmlinux);
    SymbolizeStacks(out.analysis, symbolizer, (*session)->facts().osrelease, (*session)->facts().build_id);
  }
  return out;
}

}  // namespace ktriage::pipeline
