// AddSymbolOptions / ToReportSymbolizerOptions: one spelling of the debuginfo options.
#include "analyzer/cli/symbol_options.h"

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
       "repeatable; default /usr/lib/debug");
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

}  // namespace ktriage::cli
