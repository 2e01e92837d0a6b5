// ForEachSighting and AddOutcomeCounts.
#include "analyzer/triage/outcome_summary.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace ktriage::triage {

Status ForEachSighting(const ItemOutcome& o, const std::function<void(Sighting&, bool)>& on_report,
                       const std::function<void(Sighting&)>& on_finding) {
  constexpr uint64_t kLeadLines = 3;
  const DigestLog& log = o.digests;
  // Pass 1, the findings: the reports they name (a bit each), and the evidence lines of the
  // whole-log ones (a few: one finding per rule at most).
  std::vector<bool> named(log.reports(), false);
  std::vector<std::pair<uint64_t, size_t>> evidence;  // line, finding number
  size_t k = 0;
  Status read = log.ForEachFinding([&](FindingDigest&& f) {
    if (f.report) {
      if (*f.report < named.size()) named[*f.report] = true;
    } else {
      for (uint64_t line : f.evidence) evidence.push_back({line, k});
    }
    ++k;
  });
  if (!read) return read;
  std::sort(evidence.begin(), evidence.end());
  // Pass 2, the reports: known or not; the first report each whole-log finding is about.
  std::map<size_t, size_t> about;  // whole-log finding number -> report
  read = log.ForEachReport([&](size_t i, ReportDigest&& r) {
    bool known = named[i];
    for (auto it = std::lower_bound(evidence.begin(), evidence.end(), std::pair<uint64_t, size_t>{r.line > kLeadLines ? r.line - kLeadLines : 0, 0});
         it != evidence.end() && it->first <= r.line_end; ++it) {
      known = true;
      about.emplace(it->second, i);
    }
    Sighting s;
    s.key = std::move(r.signature);
    s.title = std::move(r.title);
    s.detail = std::move(r.kind);
    s.host = std::move(r.host);
    s.input = o.name;
    s.line = r.line;
    s.time = o.time;
    s.report = std::move(r.report);
    on_report(s, !known);
  });
  if (!read) return read;
  // Pass 3, the findings as sightings.
  k = 0;
  return log.ForEachFinding([&](FindingDigest&& f) {
    Sighting s;
    s.rule = true;
    s.key = std::move(f.rule);
    s.title = std::move(f.title);
    s.detail = std::move(f.severity);
    s.host = o.host;
    s.input = o.name;
    s.line = f.line;
    s.time = o.time;
    std::optional<size_t> report = f.report;
    if (!report) {
      if (auto it = about.find(k); it != about.end()) report = it->second;
    }
    if (report) s.report = log.Example(*report);
    ++k;
    on_finding(s);
  });
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
