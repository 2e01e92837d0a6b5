// `ktriage net`: the network namespaces of a dump with their devices, tasks and TCP sockets, and
// the ones that only orphaned TCP sockets keep alive (read with the dump's own vmlinux).
#include "analyzer/cli/net_command.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/symbol_options.h"
#include "analyzer/output/dump_output.h"
#include "analyzer/pipeline/dump_analyses.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

struct RawNetOptions {
  std::string format;
  bool help = false;
  std::vector<std::string> paths;
  SymbolOptions symbols;
};

po::options_description VisibleOptions(RawNetOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
       "text for people; json: one document (\"ktriage.net/1\", docs/cli.md)")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  visible.add(DumpDebuginfoOptions(raw.symbols));
  return visible;
}

}  // namespace

std::string NetHelp() {
  RawNetOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage net [OPTIONS] VMCORE...\n"
       "\n"
       "The network namespaces of a crash dump (net_namespace_list, and any namespace a socket or a\n"
       "veth peer still points to): inode number, reference count, devices, the tasks inside, and\n"
       "the TCP sockets of the established hash with their state, unacknowledged bytes and timers.\n"
       "A namespace that no task holds but orphaned TCP sockets keep alive is named on its own line.\n"
       "Needs no debuginfo: struct layouts come from the kernel's own BTF in the dump and addresses\n"
       "from its kallsyms (a kernel built with CONFIG_DEBUG_INFO_BTF and CONFIG_KALLSYMS_ALL, as\n"
       "Debian, Ubuntu, Fedora and RHEL 8+ kernels are); the dump's own vmlinux, found like all\n"
       "debuginfo, serves kernels without them (--types dwarf to prefer it).\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Examples:\n"
       "  ktriage net /var/crash/202611221000/dump.202611221000\n"
       "  ktriage net --format json --vmlinux vmlinux-6.1.0-50-cloud-amd64 vmcore\n";
  return s.str();
}

int NetCommand(const std::vector<std::string>& args, const CliContext& context) {
  RawNetOptions raw;
  if (std::optional<int> done = StartCommand(context, "net", args, VisibleOptions(raw), raw.paths, raw.help, &NetHelp)) return *done;
  if (raw.paths.empty()) return UsageError(context, "net", "net: no VMCORE given");
  if (raw.format != "text" && raw.format != "json") return UsageError(context, "net", "net: --format is text or json");
  kernel::DeepOptions options;
  options.stacks = false;
  options.kernel_state = false;
  pipeline::DumpAnalysisResult result;
  if (std::optional<int> failed = ReadDumpForCommand(context, "net", raw.symbols, raw.paths, options, /*symbolize=*/false, &result))
    return *failed;
  const kernel::DeepAnalysis& deep = result.analysis;
  if (!deep.net) {
    for (const std::string& p : deep.problems) context.err << "ktriage: " << raw.paths[0] << ": " << p << '\n';
    return kExitInputError;
  }
  const bool json = raw.format == "json";
  WriteNetwork(context.out, result, json);
  if (!json) {
    for (const std::string& n : deep.notes) context.err << "ktriage: note: " << n << '\n';
    for (const std::string& p : deep.problems) context.err << "ktriage: warning: " << p << '\n';
  }
  return kExitOk;
}

}  // namespace ktriage::cli
