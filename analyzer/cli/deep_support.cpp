// FindDumpVmlinux and SymbolizeStacks.
#include "analyzer/cli/deep_support.h"

#include "symbols/debuginfo_locator.h"

namespace ktriage::cli {

Result<std::string> FindDumpVmlinux(const VmcoreInfo& info, const std::string& explicit_vmlinux,
                                    const std::string& release, const symbols::SearchPaths& search) {
  if (!explicit_vmlinux.empty()) return explicit_vmlinux;
  symbols::DebuginfoLocator locator(search);
  symbols::Located found = locator.Vmlinux(release.empty() ? info.osrelease : release, info.build_id);
  if (found.files.empty()) {
    return Error{"no vmlinux with debuginfo for " + info.osrelease + " (build " + info.build_id + "); searched " +
                 found.searched + "; give --vmlinux or --debug-root, or install the -dbg package"};
  }
  return found.files.front();
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
