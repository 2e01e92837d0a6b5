// FindDumpVmlinux and SymbolizeStacks.
#include "analyzer/cli/deep_support.h"

#include "symbols/debuginfo_locator.h"

namespace ktriage::cli {

Result<std::string> FindDumpVmlinux(const std::string& osrelease, const std::string& build_id,
                                    const std::string& explicit_vmlinux, const std::string& release,
                                    const symbols::SearchPaths& search) {
  if (!explicit_vmlinux.empty()) return explicit_vmlinux;
  symbols::DebuginfoLocator locator(search);
  symbols::Located found = locator.Vmlinux(release.empty() ? osrelease : release, build_id);
  if (found.files.empty()) {
    return Error{"no vmlinux with debuginfo for " + osrelease + " (build " + build_id + "); searched " +
                 found.searched + "; give --vmlinux or --debug-root, or install the -dbg package"};
  }
  return found.files.front();
}

std::optional<kernel::DeepAnalysis> AnalyzeDumpDeeply(const std::string& path, const std::string& osrelease,
                                                      const std::string& build_id, const SymbolOptions& options,
                                                      ReportSymbolizer& symbolizer,
                                                      const symbols::SearchPaths& search, const std::string& cache_dir,
                                                      std::string* note) {
  Result<std::string> vmlinux = FindDumpVmlinux(osrelease, build_id, options.vmlinux, options.release, search);
  if (!vmlinux) {
    *note = "deep analyses (stacks, namespaces) not run: " + vmlinux.error().message;
    return std::nullopt;
  }
  Result<std::unique_ptr<DumpFile>> dump = DumpFile::Open({path});
  if (!dump) {
    *note = "deep analyses not run: " + dump.error().message;
    return std::nullopt;
  }
  Result<std::unique_ptr<kernel::KernelState>> state =
      kernel::KernelState::Open(**dump, *vmlinux, TypesCacheDir(cache_dir));
  if (!state) {
    *note = "deep analyses not run: " + state.error().message;
    return std::nullopt;
  }
  kernel::DeepAnalysis analysis = kernel::RunDeepAnalysis(**state, **dump);
  SymbolizeStacks(analysis, symbolizer, osrelease, build_id);
  return analysis;
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

}  // namespace ktriage::cli
