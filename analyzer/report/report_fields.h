// Fills the typed fields of a CrashReport (CPU, PID, comm, taint, release, hardware, modules,
// registers, frames with their stack context) from the report's own lines.
#pragma once

#include "analyzer/report/crash_report.h"

namespace ktriage {

// Parses `report.text` into the other fields. Idempotent: fields already set are overwritten.
void ParseReportFields(CrashReport& report);
// The same, with each line of `report.text` already parsed as a frame (the segmenter's parse):
// `frames[i]` is ParseFrameLine(report.text[i]).
void ParseReportFields(CrashReport& report, std::vector<std::optional<Frame>>&& frames);

// Function name without compiler suffixes (".isra.0", ".constprop.3", ".part.1", ".cold", ".llvm.123").
std::string NormalizeFunctionName(std::string_view name);

}  // namespace ktriage
