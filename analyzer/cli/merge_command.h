// `ktriage merge`: one summary from the JSON Lines (and databases) of `triage --shard` runs (docs/scale.md).
#pragma once

#include <string>
#include <vector>

#include "analyzer/cli/cli_context.h"

namespace ktriage::cli {

std::string MergeHelp();
int MergeCommand(const std::vector<std::string>& args, const CliContext& context);

}  // namespace ktriage::cli
