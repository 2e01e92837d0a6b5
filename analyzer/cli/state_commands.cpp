// PsCommand, ModCommand: the same options and dump opening; each only picks its writer.
#include "analyzer/cli/state_commands.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/symbol_options.h"
#include "analyzer/output/kernel_state_output.h"
#include "analyzer/pipeline/dump_analyses.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

struct RawStateOptions {
  std::string format;
  bool help = false;
  std::vector<std::string> paths;
  SymbolOptions symbols;
};

struct StateCommand {
  const char* name;
  const char* schema;
  const char* what;   // the paragraph of its help
  const char* example;
  void (*write)(std::ostream&, const pipeline::DumpAnalysisResult&, bool json);
  std::string (*help)();  // PsHelp, ModHelp: what --help prints
  bool stacks;            // the CPUs' and blocked tasks' stacks: which modules they run in
};

const StateCommand kPs = {
    "ps", "ktriage.ps/1",
    "Every task of a crash dump, as crash's ps lists them: PID, parent, CPU, task_struct address,\n"
    "state letter (R S D I T t Z X P), how long before the dump it last started running (its\n"
    "sched_info.last_arrival against its CPU's run queue clock), the command (kernel threads in\n"
    "brackets), and for a task blocked on a mutex, rw_semaphore or rt_mutex, that lock. '>' marks\n"
    "the task each CPU was running; each CPU's idle task is listed after init_task.\n",
    "ktriage ps /var/crash/202611221000/dump.202611221000", &WriteTaskTable, &PsHelp, false};

const StateCommand kMod = {
    "mod", "ktriage.modules/1",
    "The loaded modules of a crash dump, as crash's mod lists them: name, struct module and code\n"
    "addresses, size, the taints each brought (O out-of-tree, E unsigned, F forced; the letters\n"
    "of /proc/sys/kernel/tainted), state, and whether its code is on a CPU's or a blocked task's\n"
    "stack; then the kernel's own taint letters.\n",
    "ktriage mod --format json vmcore", &WriteModuleTable, &ModHelp, true};

po::options_description VisibleOptions(RawStateOptions& raw, const StateCommand& command) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
       (std::string("text for people; json: one document (\"") + command.schema + "\", docs/cli.md)").c_str())
      ("help,h", po::bool_switch(&raw.help), "show this help");
  visible.add(DumpDebuginfoOptions(raw.symbols));
  return visible;
}

std::string Help(const StateCommand& command) {
  RawStateOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage " << command.name << " [OPTIONS] VMCORE...\n\n"
    << command.what << "\n"
    << "Needs no debuginfo: struct layouts come from the kernel's own BTF in the dump and addresses\n"
       "from its kallsyms; the dump's own vmlinux serves kernels without them (--types dwarf).\n\n"
    << VisibleOptions(raw, command) << "\nExample:\n  " << command.example << "\n";
  return s.str();
}

int Run(const StateCommand& command, const std::vector<std::string>& args, const CliContext& context) {
  RawStateOptions raw;
  const std::string name = command.name;
  if (std::optional<int> done = StartCommand(context, name, args, VisibleOptions(raw, command), raw.paths, raw.help, command.help))
    return *done;
  if (raw.paths.empty()) return UsageError(context, name, name + ": no VMCORE given");
  if (raw.format != "text" && raw.format != "json") return UsageError(context, name, name + ": --format is text or json");
  kernel::DeepOptions options;
  options.stacks = command.stacks;
  options.net = false;
  pipeline::DumpAnalysisResult result;
  if (std::optional<int> failed = ReadDumpForCommand(context, name, raw.symbols, raw.paths, options, /*symbolize=*/false, &result))
    return *failed;
  command.write(context.out, result, raw.format == "json");
  return kExitOk;
}

}  // namespace

std::string PsHelp() { return Help(kPs); }
int PsCommand(const std::vector<std::string>& args, const CliContext& context) { return Run(kPs, args, context); }
std::string ModHelp() { return Help(kMod); }
int ModCommand(const std::vector<std::string>& args, const CliContext& context) { return Run(kMod, args, context); }

}  // namespace ktriage::cli
