// The command table of the `ktriage` binary and the top-level dispatch over it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

// One subcommand. Adding a command is one entry in the table in commands.cpp.
struct CommandSpec {
  std::string_view name;
  std::string_view summary;  // one line for `ktriage --help`
  std::string (*help)();     // the full `ktriage help NAME` text: usage, options, examples
  // `args` are the words after the command name; returns the process exit code.
  int (*run)(const std::vector<std::string>& args, const CliContext& context);
};

std::span<const CommandSpec> Commands();
const CommandSpec* FindCommand(std::string_view name);

// Runs `ktriage ARGS...` (`args` excludes the program name) and returns the exit code.
int RunCli(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
