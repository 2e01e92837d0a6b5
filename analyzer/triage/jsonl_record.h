// The lines of `ktriage triage --output` (JSON Lines, docs/json.md): per input, an "input"
// object, then its "report" objects, then its "finding" objects. Reports and findings carry the
// fields of `ktriage analyze --format json` after four of their own.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analyzer/report/crash_report.h"
#include "rules/finding.h"
#include "analyzer/triage/work_item.h"

namespace ktriage::triage {

// `"type":...,"input":...,"host":...,"time":...` (time: ISO 8601 UTC, or null).
std::string LeadingMembers(std::string_view type, std::string_view input, std::string_view host,
                           const std::optional<int64_t>& time);

std::string ReportLine(std::string_view leading_members, const CrashReport& report);
std::string FindingLine(std::string_view leading_members, const rules::Finding& finding);

// The "input" line of an input read (or skipped, failed, superseded) in this run.
std::string InputLine(const ItemOutcome& outcome);
// ... and of a top-level input the history says is unchanged (its details are not read again).
std::string RememberedInputLine(const std::string& path, uint64_t findings, uint64_t crashes, uint64_t errors);

const char* StatusName(OutcomeStatus status);

}  // namespace ktriage::triage
