// Batch triage (`ktriage triage`): many logs, dumps, directories and archives from a fleet in one
// run: a walker, a pool of workers, one reducing thread that writes the summary, the JSON Lines
// and the history, in walk order whatever the number of workers (docs/triage.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "analyzer/pipeline/input_pipeline.h"
#include "base/result.h"
#include "analyzer/ingest/input_limits.h"
#include "analyzer/triage/shard.h"
#include "analyzer/triage/summary.h"

namespace ktriage::triage {

struct TriageProgress {
  uint64_t found = 0;     // inputs the walker has found so far
  uint64_t done = 0;      // inputs reduced
  uint64_t bytes = 0;     // bytes analysed (decompressed)
  uint64_t findings = 0;
  double seconds = 0;
  bool final = false;     // the last call: clear the progress line
};

struct TriageOptions {
  std::vector<std::string> paths;       // files, directories, archives
  unsigned jobs = 1;                    // workers (the walker and the reducer are two more threads)
  InputLimits limits;
  ShardSpec shard;                      // --shard I/N: only this share of the leaf inputs
  std::string db_path;                  // the history; "" for none
  bool rescan = false;                  // read inputs the history says are unchanged
  std::string temp_dir = "/tmp";        // dumps copied out of archives, JSON Lines waiting their turn
  std::string dump_reader = kBuiltDumpReader;  // the reader process every dump is read in
  std::ostream* jsonl = nullptr;        // --output; its owner checks that every write went through
  bool keep_examples = false;           // each summary row keeps its example's report (--html)
  // Set asynchronously (Ctrl-C): no new input is started, inputs being read are dropped, the
  // summary and the history cover what was done.
  const std::atomic<bool>* interrupted = nullptr;
  // "NAME: reason" for each input that failed, in walk order, from the reducing thread.
  std::function<void(const std::string&)> on_error;
  // Non-fatal notes ("dump.X: ...; read dmesg.X instead").
  std::function<void(const std::string&)> on_warning;
  // Each input found and not analysed, with the reason ("binary files"), in walk order.
  std::function<void(const std::string& name, const std::string& reason)> on_skip;
  // Paths that are no inputs wherever the walk finds them: the run's own outputs.
  std::vector<std::string> not_inputs;
  // About five times a second, from the reducing thread.
  std::function<void(const TriageProgress&)> on_progress;
  int64_t now = 0;                      // seconds since the epoch, for the history's run record
};

struct TriageResult {
  TriageSummary summary;
  bool interrupted = false;
  // Problems that are no input's fault (the history or the output could not be written).
  std::vector<std::string> problems;
};

// Errors only for what stops the run before any input is read (the history cannot be opened,
// is locked or corrupt).
Result<TriageResult> RunTriage(const TriageOptions& options, pipeline::Tools tools);

}  // namespace ktriage::triage
