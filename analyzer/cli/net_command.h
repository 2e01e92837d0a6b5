// `ktriage net`: network namespaces, devices and TCP sockets of a dump (from the dump's BTF and kallsyms, or its vmlinux).
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

std::string NetHelp();
int NetCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
