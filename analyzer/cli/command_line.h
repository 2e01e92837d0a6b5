// Option parsing shared by every subcommand: named options plus positional paths, no prefix
// guessing (so "--all" never silently becomes "--all-frames", and new options never make an old
// command line ambiguous), and the one spelling of a usage error.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

// Returns "" on success, else the usage error's message.
std::string ParseCommandLine(const std::vector<std::string>& args,
                             const boost::program_options::options_description& named,
                             std::vector<std::string>& paths);

// "ktriage: MESSAGE" and "Try 'ktriage COMMAND --help'." on stderr; returns kExitUsage.
int UsageError(const CliContext& context, const std::string& command, const std::string& message);

// The start every command shares: parse `args` into `named` (its bool_switch for --help is
// `help_flag`) and `positional`; on a usage error print it, on --help print `help()`. Returns the
// exit code when the command is done, nullopt when it is to run.
std::optional<int> StartCommand(const CliContext& context, const std::string& command,
                                const std::vector<std::string>& args,
                                const boost::program_options::options_description& named,
                                std::vector<std::string>& positional, const bool& help_flag, std::string (*help)());

}  // namespace ktriage::cli
