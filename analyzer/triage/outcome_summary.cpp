// SightingsOf and AddOutcomeCounts.
#include "analyzer/triage/outcome_summary.h"

#include <optional>
#include <set>

namespace ktriage::triage {

OutcomeSightings SightingsOf(const ItemOutcome& o) {
  constexpr uint64_t kLeadLines = 3;
  std::set<size_t> recognised;
  std::vector<std::optional<size_t>> about(o.findings.size());  // the report each finding is about
  for (size_t k = 0; k < o.findings.size(); ++k) {
    const FindingDigest& f = o.findings[k];
    if (f.report) {
      recognised.insert(*f.report);
      about[k] = f.report;
      continue;
    }
    for (size_t i = 0; i < o.reports.size(); ++i) {
      for (uint64_t line : f.evidence) {
        if (line + kLeadLines >= o.reports[i].line && line <= o.reports[i].line_end) {
          recognised.insert(i);
          if (!about[k]) about[k] = i;
        }
      }
    }
  }
  OutcomeSightings out;
  for (size_t i = 0; i < o.reports.size(); ++i) {
    const ReportDigest& r = o.reports[i];
    Sighting s;
    s.key = r.signature;
    s.title = r.title;
    s.detail = r.kind;
    s.host = r.host;
    s.input = o.name;
    s.line = r.line;
    s.time = o.time;
    s.report = r.report;
    out.reports.push_back(std::move(s));
    out.unknown.push_back(recognised.count(i) == 0);
  }
  for (size_t k = 0; k < o.findings.size(); ++k) {
    const FindingDigest& f = o.findings[k];
    Sighting s;
    s.rule = true;
    s.key = f.rule;
    s.title = f.title;
    s.detail = f.severity;
    s.host = o.host;
    s.input = o.name;
    s.line = f.line;
    s.time = o.time;
    if (about[k] && *about[k] < o.reports.size()) s.report = o.reports[*about[k]].report;
    out.findings.push_back(std::move(s));
  }
  return out;
}

void AddOutcomeCounts(const ItemOutcome& o, TriageSummary& counts) {
  switch (o.status) {
    case OutcomeStatus::kSkipped:
      ++counts.skipped[o.reason];
      break;
    case OutcomeStatus::kSuperseded:
      ++counts.superseded;
      break;
    case OutcomeStatus::kAnalysed:
    case OutcomeStatus::kFailed:
      if (o.kind == "dump") ++counts.dumps;
      else if (o.kind == "log") ++counts.logs;
      counts.bytes += o.bytes;
      if (o.status == OutcomeStatus::kFailed) counts.failed += o.errors.size();
      break;
    case OutcomeStatus::kInterrupted:
      break;
  }
}

}  // namespace ktriage::triage
