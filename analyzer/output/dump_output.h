// What the dump commands print: `bt` (stacks), `net` (namespaces and sockets), `dmesg` (the log,
// as makedumpfile --dump-dmesg prints it, or JSON records) and `vmcore info` (the dump's facts).
#pragma once

#include <ostream>

#include "analyzer/pipeline/dump_analyses.h"
#include "analyzer/vmcore/vmcore_analysis.h"

namespace ktriage {

// "ktriage.backtraces/1" (docs/json.md) or text: each CPU's stack, then the tasks'.
void WriteBacktraces(std::ostream& out, const pipeline::DumpAnalysisResult& result, bool json);

// "ktriage.net/1" (docs/cli.md) or text: each namespace with its devices and TCP sockets, then
// the namespaces only orphaned sockets keep alive. `result.analysis.net` must be set.
void WriteNetwork(std::ostream& out, const pipeline::DumpAnalysisResult& result, bool json);

// The log's records: text as `makedumpfile --dump-dmesg` prints it (with caller ids when
// `caller`), or one JSON object per record.
void WriteDmesg(std::ostream& out, const PrintkLog& log, bool json, bool caller);

// `vmcore info`: {"schema": "ktriage.vmcore-info/1", "vmcore": {...}, "vmcoreinfo": "..."} or text rows.
void WriteVmcoreInfo(std::ostream& out, const VmcoreFacts& facts, bool json);

}  // namespace ktriage
