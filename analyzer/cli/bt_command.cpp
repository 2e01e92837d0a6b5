// `ktriage bt`: every CPU's stack in a dump (and with --all every task's, with --pid one task's),
// unwound from the dump alone (ORC or frame records, BTF, kallsyms) and symbolized like every other
// frame ktriage prints when the dump's vmlinux is found.
#include "analyzer/cli/bt_command.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/symbol_options.h"
#include "analyzer/output/dump_output.h"
#include "analyzer/pipeline/dump_analyses.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

struct RawBtOptions {
  std::string format;
  bool all = false;
  std::vector<int> cpus;
  std::vector<int> pids;
  bool help = false;
  std::vector<std::string> paths;
  SymbolOptions symbols;
};

po::options_description VisibleOptions(RawBtOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("all,a", po::bool_switch(&raw.all), "every task's stack too, not only the CPUs' and the blocked (D) tasks'")
      ("cpu", po::value(&raw.cpus)->value_name("N")->composing(), "only this CPU (repeatable)")
      ("pid,p", po::value(&raw.pids)->value_name("PID")->composing(), "only this task (repeatable)")
      ("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
       "text for people; json: one document (docs/json.md, \"ktriage bt\")")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  visible.add(DumpDebuginfoOptions(raw.symbols));
  return visible;
}

}  // namespace

std::string BtHelp() {
  RawBtOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage bt [OPTIONS] VMCORE...\n"
       "\n"
       "Kernel stacks from a crash dump, like crash's 'bt -a': each CPU's from its saved registers,\n"
       "then the tasks blocked in uninterruptible sleep (D), each from where it was switched out.\n"
       "Needs no debuginfo: on x86-64 frames are unwound with the kernel's own ORC tables in the\n"
       "dump (DWARF CFI of the dump's own vmlinux where ORC has no entry, when it is found), on arm64\n"
       "by the frame-record chain, through exception entry and the IRQ stack, with pointer\n"
       "authentication stripped; struct layouts come from the kernel's BTF in the dump, names from\n"
       "its kallsyms (func+off/size [module], as the kernel prints them). With the vmlinux (found by\n"
       "the dump's BUILD-ID or release, --vmlinux, or debuginfod) each frame also gets its source\n"
       "line and inline chain. A vmlinux of another build is refused. Where a stack could not be\n"
       "followed to its end, 'stopped:' says where and why.\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Examples:\n"
       "  ktriage bt /var/crash/202611221000/dump.202611221000\n"
       "  ktriage bt --all --vmlinux /usr/lib/debug/boot/vmlinux-6.1.0-50-cloud-amd64 vmcore\n"
       "  ktriage bt --pid 104 --format json vmcore | jq '.tasks[0].frames[].function'\n";
  return s.str();
}

int BtCommand(const std::vector<std::string>& args, const CliContext& context) {
  RawBtOptions raw;
  if (std::optional<int> done = StartCommand(context, "bt", args, VisibleOptions(raw), raw.paths, raw.help, &BtHelp)) return *done;
  if (raw.paths.empty()) return UsageError(context, "bt", "bt: no VMCORE given");
  if (raw.format != "text" && raw.format != "json") return UsageError(context, "bt", "bt: --format is text or json");
  kernel::DeepOptions deep;
  deep.all_tasks = raw.all;
  deep.cpus = raw.cpus;
  deep.pids = raw.pids;
  deep.net = false;
  deep.kernel_state = false;
  pipeline::DumpAnalysisResult result;
  if (std::optional<int> failed = ReadDumpForCommand(context, "bt", raw.symbols, raw.paths, deep, /*symbolize=*/true, &result))
    return *failed;
  const bool json = raw.format == "json";
  WriteBacktraces(context.out, result, json);
  if (!json) {
    for (const std::string& n : result.analysis.notes) context.err << "ktriage: note: " << n << '\n';
    for (const std::string& p : result.analysis.problems) context.err << "ktriage: warning: " << p << '\n';
  }
  return kExitOk;
}

}  // namespace ktriage::cli
