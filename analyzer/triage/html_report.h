// The `ktriage triage --html` page: the summary's tables, a per-day chart of crashes by kind and
// each group's example report with its frames, in one self-contained file (no script, no network).
#pragma once

#include <string>
#include <vector>

#include "analyzer/symbolize/report_symbolizer.h"
#include "analyzer/triage/summary.h"

namespace ktriage::triage {

struct HtmlReportInfo {
  std::vector<std::string> inputs;  // what was triaged, as named on the command line
  std::string version;              // ktriage's
};

// Deterministic: the same summary gives the same bytes (no generation time).
std::string FormatHtmlReport(const TriageSummary& summary, const HtmlReportInfo& info);

// Source lines for the frames of each row's example report (each report once): done after the
// run, for the few reports the page shows, not for every report read.
void SymbolizeExamples(TriageSummary& summary, ReportSymbolizer& symbolizer);

}  // namespace ktriage::triage
