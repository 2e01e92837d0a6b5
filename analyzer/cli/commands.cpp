// The command table and top-level dispatch: `ktriage [--help|--version] COMMAND ARGS...`.
#include "analyzer/cli/commands.h"

#include <algorithm>
#include <array>
#include <exception>

#include "analyzer/cli/analyze_command.h"
#include "analyzer/cli/bt_command.h"
#include "analyzer/cli/command_line.h"
#include "analyzer/cli/dump_commands.h"
#include "analyzer/cli/history_command.h"
#include "analyzer/cli/merge_command.h"
#include "analyzer/cli/net_command.h"
#include "analyzer/cli/state_commands.h"
#include "analyzer/cli/rules_command.h"
#include "analyzer/cli/symbolize_command.h"
#include "analyzer/cli/triage_command.h"

#ifndef KTRIAGE_VERSION
#error "KTRIAGE_VERSION must come from the build (the project version in CMakeLists.txt)"
#endif

namespace ktriage::cli {
namespace {

// Only commands that work belong here: `ktriage --help` lists exactly this table.
constexpr std::array kCommands = {
    CommandSpec{"analyze", "find and summarise the kernel crash reports in logs and crash dumps", &AnalyzeHelp,
                &AnalyzeCommand},
    CommandSpec{"bt", "kernel stacks of every CPU and blocked task in a crash dump", &BtHelp,
                &BtCommand},
    CommandSpec{"dmesg", "print the kernel log kept in a crash dump", &DmesgHelp, &DmesgCommand},
    CommandSpec{"history", "what earlier triage runs saw: top signatures, what is new since a date, one signature",
                &HistoryHelp, &HistoryCommand},
    CommandSpec{"merge", "one triage summary from the JSON Lines of sharded runs (triage --shard I/N)", &MergeHelp,
                &MergeCommand},
    CommandSpec{"mod", "loaded modules of a crash dump: addresses, sizes, taints, on the crashing stacks", &ModHelp,
                &ModCommand},
    CommandSpec{"net", "network namespaces, devices and TCP sockets of a crash dump", &NetHelp,
                &NetCommand},
    CommandSpec{"ps", "every task of a crash dump: state, CPU, when it last ran, the lock it waits for", &PsHelp,
                &PsCommand},
    CommandSpec{"rules", "write and check rules: lint, test, explain a verdict, list", &RulesHelp, &RulesCommand},
    CommandSpec{"symbolize", "a kernel log with source lines for its stack frames, as decode_stacktrace.sh prints it",
                &SymbolizeHelp, &SymbolizeCommand},
    CommandSpec{"triage", "batch triage of many logs, dumps, directories and archives: known problems, new crashes",
                &TriageHelp, &TriageCommand},
    CommandSpec{"vmcore", "facts of a crash dump: release, CPUs, panic ('vmcore info')", &VmcoreHelp, &VmcoreCommand},
};

std::string TopLevelHelp() {
  std::string s =
      "ktriage " KTRIAGE_VERSION ": offline post-mortem analyzer for Linux kernel crash logs and dumps\n"
      "\n"
      "Usage: ktriage COMMAND [OPTIONS] [ARGS...]\n"
      "       ktriage help COMMAND\n"
      "       ktriage --help | --version\n"
      "\n"
      "Commands:\n";
  for (const CommandSpec& c : kCommands) {
    std::string name(c.name);
    name.resize(std::max<size_t>(name.size(), 10), ' ');
    s += "  " + name + "  " + std::string(c.summary) + "\n";
  }
  s +=
      "\n"
      "Options:\n"
      "  -h, --help  show this help ('ktriage help COMMAND' or 'ktriage COMMAND --help' for a command)\n"
      "  --version   print the version\n"
      "\n"
      "Examples:\n"
      "  ktriage analyze /var/log/kern.log\n"
      "  dmesg | ktriage analyze -\n"
      "  ktriage analyze --format json console.log.gz > analysis.json\n"
      "  ktriage analyze /var/crash/202611221000/dump.202611221000\n"
      "  ktriage dmesg --caller vmcore\n"
      "  dmesg | ktriage symbolize -r 6.1.0-50-cloud-amd64\n"
      "  ktriage help analyze\n"
      "\n"
      "Exit status: 0 all inputs read, 1 some input could not be read, 2 usage error.\n"
      "Documentation: docs/cli.md (commands), docs/json.md (the JSON document).\n";
  return s;
}

int Dispatch(const std::vector<std::string>& args, const CliContext& context) {
  if (args.empty()) {
    context.err << TopLevelHelp();
    return kExitUsage;
  }
  const std::string& first = args[0];
  if (first == "--help" || first == "-h" || (first == "help" && args.size() == 1)) {
    context.out << TopLevelHelp();
    return kExitOk;
  }
  if (first == "--version") {
    context.out << "ktriage " KTRIAGE_VERSION "\n";
    return kExitOk;
  }
  if (first == "help") {
    if (args.size() > 2) return UsageError(context, "", "help takes one command name");
    const CommandSpec* command = FindCommand(args[1]);
    if (command == nullptr) return UsageError(context, "", "no such command: '" + args[1] + "'");
    context.out << command->help();
    return kExitOk;
  }
  if (!first.empty() && first[0] == '-') return UsageError(context, "", "unknown option '" + first + "'");
  const CommandSpec* command = FindCommand(first);
  if (command == nullptr) return UsageError(context, "", "no such command: '" + first + "'");
  return command->run(std::vector<std::string>(args.begin() + 1, args.end()), context);
}

}  // namespace

std::span<const CommandSpec> Commands() { return kCommands; }

const CommandSpec* FindCommand(std::string_view name) {
  for (const CommandSpec& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int RunCli(const std::vector<std::string>& args, const CliContext& context) {
  // Libraries report errors as values; anything thrown is a bug or exhaustion, and still
  // deserves the one-line "ktriage: ..." form rather than std::terminate's abort.
  try {
    return Dispatch(args, context);
  } catch (const std::exception& e) {
    context.err << "ktriage: internal error: " << e.what() << '\n';
    return kExitInputError;
  }
}

}  // namespace ktriage::cli
