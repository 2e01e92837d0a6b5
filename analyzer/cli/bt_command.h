// `ktriage bt`: kernel stacks from a crash dump, unwound with its own ORC or frame records (and its vmlinux's CFI where ORC has none).
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

std::string BtHelp();
int BtCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
