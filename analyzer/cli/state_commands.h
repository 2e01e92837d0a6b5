// `ktriage ps` and `ktriage mod`: a dump's task table and loaded modules (from the dump's BTF and
// kallsyms, or its vmlinux), as crash's ps and mod list them.
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

std::string PsHelp();
int PsCommand(const std::vector<std::string>& args, const CliContext& context);

std::string ModHelp();
int ModCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
