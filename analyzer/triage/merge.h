// MergeShards: the summary of several `ktriage triage --shard I/N --output` runs, rebuilt from
// their JSON Lines (and, optionally, their history databases) with the same code a run uses
// (outcome_summary.h, summary.h), so that it equals what one unsharded run prints.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "base/result.h"
#include "analyzer/triage/summary.h"

namespace ktriage::triage {

struct MergeOptions {
  std::vector<std::string> jsonl;     // one file per shard
  // Optional: one history database per JSON Lines file, same order. They give the `new` marks
  // (a signature is new when every shard that saw it saw it first in its last run) and the
  // results of inputs a shard's history remembered instead of reading them again.
  std::vector<std::string> databases;
  std::ostream* out = nullptr;        // the JSON Lines of every shard, concatenated in argument order
};

struct MergeResult {
  TriageSummary summary;
  std::vector<std::string> problems;  // one line each: a file that cannot be read, a line that is not ours...
};

// Errors only for what stops the merge before anything is read (a database cannot be opened).
Result<MergeResult> MergeShards(const MergeOptions& options);

}  // namespace ktriage::triage
