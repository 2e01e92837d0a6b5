// WorkItem and ItemOutcome: the typed hand-offs of a triage run. The walker numbers items in walk
// order; workers turn analysis items into outcomes; the reducing thread consumes everything in
// that order, which is what makes the output the same whatever --jobs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/history/sighting.h"
#include "analyzer/triage/digest_log.h"
#include "base/scoped_fd.h"
#include "analyzer/triage/input_kind.h"
#include "base/shared_bytes.h"
#include "base/spill_buffer.h"
#include "analyzer/triage/summary.h"

namespace ktriage::triage {

using history::UnitInfo;

enum class OutcomeStatus {
  kAnalysed,
  kFailed,       // could not be opened, or failed mid-way (what came before still counts)
  kSkipped,      // not an input: binary, not a kernel log, special file...
  kSuperseded,   // a kdump dmesg whose dump was read
  kInterrupted,  // dropped on Ctrl-C: not counted, not remembered
};

struct ItemOutcome {
  OutcomeStatus status = OutcomeStatus::kAnalysed;
  std::string name;
  std::string kind;                  // "log", "dump", "" (skipped or failed before reading)
  std::string host;
  std::optional<int64_t> time;
  std::string reason;                // why skipped
  std::string format;
  std::string compression;
  std::string kernel_release;
  uint64_t bytes = 0;
  uint64_t lines = 0;
  DigestLog digests;                 // its reports and findings, in the order they came
  std::vector<std::string> errors;   // "NAME: reason", one line each
  std::vector<std::string> warnings;  // printed on stderr (and in the JSON Lines)
  std::vector<std::string> notes;     // only in the JSON Lines' warnings (a dump's partial reads...)
  bool dump_log_read = false;         // a dump whose kernel log was read (else its dmesg file may speak for it)
  SpillBuffer jsonl;                 // report and finding lines (--output)
  KdumpPart kdump;                   // inside an archive: the other part of the crash may come later
};

enum class ItemKind {
  kLogFile,     // a log on disk (maybe compressed): the worker opens it
  kDumpFile,    // a dump on disk, with the kdump dmesg beside it as fallback when there is one
  kLogBuffer,   // an archive member held in memory
  kDumpTemp,    // an archive member copied into an unlinked temp file (libkdumpfile needs a file)
  kDone,        // outcome already known: skipped, failed, or analysed by the walking thread
  kUnitBegin,   // a top-level input starts
  kUnitEnd,     // ... and ends
  kCachedUnit,  // a top-level input unchanged since a previous run
};

struct WorkItem {
  uint64_t seq = 0;
  ItemKind kind = ItemKind::kDone;
  std::string name;                  // display name
  std::string path;                  // on disk (kLogFile, kDumpFile)
  std::string fallback_log;          // kDumpFile
  SharedBytes buffer;                // kLogBuffer
  std::string read_error;            // kLogBuffer: the member failed after these bytes
  std::string compression;           // kLogBuffer
  ScopedFd temp;                     // kDumpTemp
  std::string path_host;             // HostFromPath(name)
  std::optional<int64_t> mtime;      // seconds
  KdumpPart kdump;
  UnitInfo unit;                     // kUnitBegin, kUnitEnd, kCachedUnit
  bool unit_complete = true;         // kUnitEnd: walked to its end (not interrupted, not cut by a limit... see walker)
  std::unique_ptr<ItemOutcome> outcome;  // kDone
  uint64_t buffered_bytes = 0;       // memory budget to give back once analysed
};

inline bool NeedsWorker(ItemKind k) {
  return k == ItemKind::kLogFile || k == ItemKind::kDumpFile || k == ItemKind::kLogBuffer || k == ItemKind::kDumpTemp;
}

}  // namespace ktriage::triage
