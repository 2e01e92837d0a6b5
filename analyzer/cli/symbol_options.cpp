// AddSymbolOptions / ToReportSymbolizerOptions: one spelling of the debuginfo options.
#include "analyzer/cli/symbol_options.h"

#include <chrono>
#include <memory>
#include <ostream>

#include "analyzer/cli/command_line.h"

namespace ktriage::cli {

namespace po = boost::program_options;

void AddSymbolOptions(po::options_description& options, SymbolOptions& raw, bool always) {
  options.add_options()
      ("vmlinux", po::value(&raw.vmlinux)->value_name("FILE"),
       "vmlinux with debuginfo, used whatever kernel release the log prints")
      ("release,r", po::value(&raw.release)->value_name("RELEASE"),
       "kernel release (uname -r) whose debuginfo to use instead of the one the log prints")
      ("modules", po::value(&raw.module_dirs)->value_name("DIR")->composing(),
       "directory searched (recursively, first) for module .ko files with DWARF; repeatable")
      ("debug-root", po::value(&raw.debug_roots)->value_name("DIR")->composing(),
       "where -dbg packages install debuginfo (.build-id/, boot/vmlinux-R, lib/modules/R); "
       "repeatable; default /usr/lib/debug")
      ("debuginfod-timeout", po::value(&raw.debuginfod_timeout)->default_value(30)->value_name("SECONDS"),
       "with DEBUGINFOD_URLS set: give up one download after this long (0: no limit); what needs no "
       "debuginfo is reported either way");
  if (!always) {
    options.add_options()("no-symbols", po::bool_switch(&raw.off),
                          "do not look for debuginfo: frames stay as printed");
  }
}

ReportSymbolizerOptions ToReportSymbolizerOptions(const SymbolOptions& raw, const CliContext& context) {
  ReportSymbolizerOptions o;
  o.vmlinux = raw.vmlinux;
  o.release = raw.release;
  o.search.module_dirs = raw.module_dirs;
  if (!raw.debug_roots.empty()) o.search.debug_roots = raw.debug_roots;
  o.search.debuginfod_urls = context.debuginfod_urls;
  if (raw.debuginfod_timeout > 0)
    o.search.debuginfod_time_limit = std::chrono::milliseconds(static_cast<int64_t>(raw.debuginfod_timeout * 1000));
  if (context.stderr_is_tty && !context.debuginfod_urls.empty()) {
    // One line, redrawn as the download goes (a vmlinux is hundreds of MB), cleared at the end.
    auto shown = std::make_shared<long>(-1);
    std::ostream* err = &context.err;
    o.search.debuginfod_progress = [err, shown](const std::string& build_id, long done, long total, bool finished) {
      if (finished) {
        if (*shown >= 0) *err << "\r\033[K" << std::flush;
        *shown = -1;
        return;
      }
      const long mb = done >> 20;
      if (mb == *shown) return;
      *shown = mb;
      *err << "\rktriage: debuginfod: " << build_id.substr(0, 12) << "... " << mb << " MB";
      if (total > 0) *err << " of " << (total >> 20) << " MB";
      *err << std::flush;
    };
  }
  return o;
}

void AddTypeSourceOption(po::options_description& options, SymbolOptions& raw) {
  options.add_options()("types", po::value(&raw.types)->default_value("auto")->value_name("auto|btf|dwarf"),
                        "struct layouts for the deep analyses: the dump's own BTF, the vmlinux's DWARF, "
                        "or auto (BTF, else DWARF)");
}

std::optional<kernel::TypeSourceChoice> TypeSourceOf(const SymbolOptions& raw) {
  if (raw.types == "auto") return kernel::TypeSourceChoice::kAuto;
  if (raw.types == "btf") return kernel::TypeSourceChoice::kBtf;
  if (raw.types == "dwarf") return kernel::TypeSourceChoice::kDwarf;
  return std::nullopt;
}

po::options_description DumpDebuginfoOptions(SymbolOptions& raw) {
  po::options_description symbols("Debuginfo (the dump's own vmlinux, found by its BUILD-ID or release)", 100, 50);
  AddSymbolOptions(symbols, raw, /*always=*/true);
  AddTypeSourceOption(symbols, raw);
  return symbols;
}

std::optional<int> ReadDumpForCommand(const CliContext& context, const std::string& command, const SymbolOptions& raw,
                                      const std::vector<std::string>& paths, const kernel::DeepOptions& options,
                                      bool symbolize, pipeline::DumpAnalysisResult* out) {
  pipeline::DumpSessionOptions dump = DumpSessionOptionsOf(context);
  const std::optional<kernel::TypeSourceChoice> types = TypeSourceOf(raw);
  if (!types) return UsageError(context, command, command + ": --types is auto, btf or dwarf");
  dump.types = *types;
  dump.symbols = false;  // the CPUs' PCs are named by the kernel state here
  Result<pipeline::DumpAnalysisResult> result =
      pipeline::AnalyzeDumpFiles(paths, dump, ToReportSymbolizerOptions(raw, context), options, symbolize);
  if (!result) {
    context.err << "ktriage: " << result.error().message << '\n';
    return kExitInputError;
  }
  *out = std::move(*result);
  return std::nullopt;
}

}  // namespace ktriage::cli
