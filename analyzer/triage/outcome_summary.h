// What one input's outcome adds to a summary: its counts, and its sightings (findings, and the
// reports no finding is about). Shared by a triage run and by `ktriage merge`, which rebuilds
// outcomes from JSON Lines, so that both summarise alike.
#pragma once

#include <functional>

#include "analyzer/triage/summary.h"
#include "analyzer/triage/work_item.h"

namespace ktriage::triage {

// Every report of the input as a sighting, in log order, with whether it is unknown (no finding is
// about it: it counts in the summary's signature rows); then every finding as a sighting. A
// report is known when a finding is about it, or when a finding about the whole log has an
// evidence line inside it or in the 3 lines before it (the trigger a log-wide rule quotes,
// "sysrq: Trigger a crash", is printed just before the panic it explains). Streams the digests
// back (DigestLog): memory does not grow with the number of reports.
Status ForEachSighting(const ItemOutcome& o, const std::function<void(Sighting&, bool unknown)>& on_report,
                       const std::function<void(Sighting&)>& on_finding);

// Inputs analysed, failed, skipped, superseded; bytes.
void AddOutcomeCounts(const ItemOutcome& o, TriageSummary& counts);

}  // namespace ktriage::triage
