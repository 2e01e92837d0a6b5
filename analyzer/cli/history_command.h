// `ktriage history`: what the triage history holds: top signatures, what is new since a date,
// one signature's hosts and examples (docs/triage.md).
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

std::string HistoryHelp();
int HistoryCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
