// `ktriage bt`: kernel stacks from a crash dump, unwound with its vmlinux's DWARF and ORC.
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

std::string BtHelp();
int BtCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
