// One input through the text pipeline and the rule engine with its reports streamed, so memory
// stays bounded whatever the input's size: what `ktriage analyze` does per input, shared with
// triage (which runs it on many threads: the analyzer and the engine are shared and const, the
// scanner is per call).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/ingest/input_source.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "base/result.h"
#include "rules/finding.h"
#include "rules/rule_engine.h"

namespace ktriage::triage {

struct ReportHooks {
  // Each report before the rule scanner sees it (symbolization may fill its frames).
  std::function<void(CrashReport&)> prepare;
  // Each report after the scanner saw it (a writer, a digest), in log order.
  std::function<void(const CrashReport&)> emit;
  // Each line, after the scanner (triage follows the syslog host name this way).
  std::function<void(const LogLine&)> line;
};

struct StreamClassification {
  LogAnalysis analysis;                  // its `reports` stay empty: they went to the hooks
  std::vector<rules::Finding> findings;  // evaluated at the end of the input
  std::optional<Error> error;            // a read error mid-way; what came before still counts
};

// A log: the system facts for the rules come from the log itself (release, hardware, the first
// panic message).
StreamClassification ClassifyStream(InputSource& source, const LogAnalyzer& analyzer,
                                    const std::shared_ptr<const rules::RuleEngine>& engine, const ReportHooks& hooks);

// The kernel log of a dump already read with ReadVmcore (formatted with caller ids, as `ktriage
// dmesg --caller` prints it, so evidence line numbers match that); the dump's own facts (release,
// panic message) speak for the machine. `name` names the input in messages.
// `state`: what the dump's deep analyses found (analyze, when the vmlinux is there), for the rules.
StreamClassification ClassifyDumpLog(const VmcoreContents& dump, const std::string& name, const LogAnalyzer& analyzer,
                                     const std::shared_ptr<const rules::RuleEngine>& engine, const ReportHooks& hooks,
                                     std::vector<rules::StateFact> state = {});

}  // namespace ktriage::triage
