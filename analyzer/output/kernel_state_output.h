// KernelStateOutput: a dump's kernel state (the task table, run queues, RCU, lock chains, memory,
// slab caches, modules) as JSON values and text, written once for analyze's "deep" object and
// text, and for `ktriage ps` and `ktriage mod`.
#pragma once

#include <ostream>
#include <string>

#include "analyzer/kernel_analyses/deep_analysis.h"
#include "analyzer/pipeline/dump_analyses.h"

namespace ktriage {

// Serialized JSON values (docs/json.md, "deep.state" and "deep.modules").
std::string KernelStateJson(const kernel::DeepAnalysis& deep);
std::string ModulesJson(const kernel::DeepAnalysis& deep);

// analyze's text: run queues, RCU, locks, memory and the largest slab caches, each line indented
// by two spaces; the modules line with their taints.
std::string KernelStateText(const kernel::DeepAnalysis& deep);

// `ktriage ps`: "ktriage.ps/1" or a table as crash's ps prints it, with when each task last ran
// and what a blocked task waits for.
void WriteTaskTable(std::ostream& out, const pipeline::DumpAnalysisResult& result, bool json);
// `ktriage mod`: "ktriage.modules/1" or a table: name, address, size, taints, on the stacks.
void WriteModuleTable(std::ostream& out, const pipeline::DumpAnalysisResult& result, bool json);

}  // namespace ktriage
