// What one input's outcome adds to a summary: its counts, and its sightings (findings, and the
// reports no finding is about). Shared by a triage run and by `ktriage merge`, which rebuilds
// outcomes from JSON Lines, so that both summarise alike.
#pragma once

#include <vector>

#include "analyzer/triage/summary.h"
#include "analyzer/triage/work_item.h"

namespace ktriage::triage {

struct OutcomeSightings {
  std::vector<Sighting> reports;  // every report, in log order
  std::vector<bool> unknown;      // per report: no finding is about it (it counts in the summary)
  std::vector<Sighting> findings;
};

// A report is known when a finding is about it, or when a finding about the whole log has an
// evidence line inside it or in the 3 lines before it (the trigger a log-wide rule quotes,
// "sysrq: Trigger a crash", is printed just before the panic it explains).
OutcomeSightings SightingsOf(const ItemOutcome& o);

// Inputs analysed, failed, skipped, superseded; bytes.
void AddOutcomeCounts(const ItemOutcome& o, TriageSummary& counts);

}  // namespace ktriage::triage
