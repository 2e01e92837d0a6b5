// `ktriage dmesg` and `ktriage vmcore info`: the kernel log and the facts of a crash dump.
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

std::string DmesgHelp();
int DmesgCommand(const std::vector<std::string>& args, const CliContext& context);

std::string VmcoreHelp();
int VmcoreCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
