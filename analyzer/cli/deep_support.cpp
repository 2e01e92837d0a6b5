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

Result<OpenedDump> OpenDumpWithVmlinux(const std::vector<std::string>& paths, const SymbolOptions& options,
                                       const CliContext& context) {
  OpenedDump out;
  Result<std::unique_ptr<DumpFile>> dump = DumpFile::Open(paths);
  if (!dump) return dump.error();
  out.dump = std::move(*dump);
  const VmcoreInfo& info = out.dump->vmcoreinfo();
  Result<std::string> vmlinux = FindDumpVmlinux(info.osrelease, info.build_id, options.vmlinux, options.release,
                                                ToReportSymbolizerOptions(options, context).search);
  if (!vmlinux) return Error{paths[0] + ": " + vmlinux.error().message};
  out.vmlinux = *vmlinux;
  Result<std::unique_ptr<kernel::KernelState>> state =
      kernel::KernelState::Open(*out.dump, out.vmlinux, TypesCacheDir(context.cache_dir));
  if (!state) return Error{paths[0] + ": " + state.error().message};
  out.state = std::move(*state);
  return out;
}

std::optional<kernel::DeepAnalysis> AnalyzeDumpDeeply(const std::string& path, const SymbolOptions& options,
                                                      ReportSymbolizer& symbolizer, const CliContext& context,
                                                      std::string* note) {
  Result<OpenedDump> opened = OpenDumpWithVmlinux({path}, options, context);
  if (!opened) {
    std::string why = opened.error().message;
    if (why.rfind(path + ": ", 0) == 0) why.erase(0, path.size() + 2);
    *note = "deep analyses (stacks, namespaces) not run: " + why;
    return std::nullopt;
  }
  kernel::DeepAnalysis analysis = kernel::RunDeepAnalysis(*opened->state, *opened->dump);
  const VmcoreInfo& info = opened->dump->vmcoreinfo();
  SymbolizeStacks(analysis, symbolizer, info.osrelease, info.build_id);
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
