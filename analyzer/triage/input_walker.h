// WalkInputs: turns PATHs into work items in a deterministic order: directories recursively
// (entries sorted by name), files, and archives read as streams, members in archive order,
// archives inside archives recursively. Nothing is extracted: a member is either held in memory
// for a worker (small), analysed on the walking thread as it streams (large), or, for a crash
// dump, copied into an unlinked temp file because libkdumpfile reads only files.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/ingest/input_source.h"
#include "analyzer/ingest/input_limits.h"
#include "analyzer/triage/shard.h"
#include "analyzer/triage/work_item.h"

namespace ktriage::triage {

struct WalkOptions {
  const InputLimits* limits = nullptr;
  std::string temp_dir = "/tmp";
  const std::atomic<bool>* cancel = nullptr;
  bool hash_inputs = false;  // the history is on: fingerprint every top-level input
  // Only leaf inputs (files, members) of this shard are submitted; directories and archives are
  // walked by every shard (triage/shard.h).
  ShardSpec shard;
  // Files that are not inputs wherever they are found: ktriage's own outputs (the JSON Lines,
  // the HTML page of an earlier run inside an input directory). Compared by device and inode.
  std::vector<std::pair<dev_t, ino_t>> not_inputs;
};

// Where the walker's items go; implemented by the run (triage_run.cpp) and by tests.
class WalkSink {
 public:
  virtual ~WalkSink() = default;
  // Takes the next item in walk order (the sink numbers it); may block while the pipeline is full.
  virtual void Submit(WorkItem item) = 0;
  // True when the history holds this input with the same size, mtime and hash (and no --rescan).
  virtual bool Unchanged(const UnitInfo& unit) = 0;
  // Waits until `bytes` more may be held in memory for workers.
  virtual void ReserveBuffer(uint64_t bytes) = 0;
  // Analyses a member too large to hold, from `source`, on the calling (walking) thread.
  virtual std::unique_ptr<ItemOutcome> AnalyzeInline(const WorkItem& meta, InputSource& source) = 0;
};

void WalkInputs(const std::vector<std::string>& paths, const WalkOptions& options, WalkSink& sink);

}  // namespace ktriage::triage
