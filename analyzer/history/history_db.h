// HistoryDb: what earlier triage runs saw, in SQLite (WAL; one writer: the reducing thread).
// Tables (docs/triage.md): inputs (top-level inputs read to their end: path, size, mtime, content
// hash, counts), input_skips and input_errors (so that an unchanged input's summary can be given
// again without reading it), signatures (every crash signature ever seen: title, kind,
// first/last seen, count, the run that first saw it), sightings (each finding, unknown crash and
// report: key, host, input, line, time), runs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/scoped_fd.h"
#include "analyzer/history/sighting.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ktriage::history {

// `data_dir`/ktriage/history.sqlite (data_dir: ${XDG_DATA_HOME:-$HOME/.local/share}, "" when
// neither is set), its directory created. The error says what to do instead.
Result<std::string> DefaultHistoryPath(const std::string& data_dir);

// What the history holds about one unchanged top-level input.
struct RememberedUnit {
  uint64_t logs = 0;
  uint64_t dumps = 0;
  uint64_t superseded = 0;
  std::map<std::string, uint64_t> skipped;
  std::vector<std::string> errors;
  std::vector<Sighting> sightings;  // findings and unknown crashes
  std::vector<Sighting> known_reports;  // crash reports a finding was about (not in the summary's rows)
};

struct UnitCounts {
  uint64_t logs = 0;
  uint64_t dumps = 0;
  uint64_t superseded = 0;
  uint64_t bytes = 0;
  std::map<std::string, uint64_t> skipped;
  uint64_t errors = 0;  // input_errors rows written so far (their order)
};

class HistoryDb {
 public:
  // Opens or creates the database and records a new run. Refuses, before any work, a database
  // that is locked by another writer, corrupt, or not ktriage's.
  static Result<std::unique_ptr<HistoryDb>> Open(const std::string& path, int64_t now);
  ~HistoryDb();
  HistoryDb(const HistoryDb&) = delete;
  HistoryDb& operator=(const HistoryDb&) = delete;

  int64_t run() const { return run_; }

  // The read side, for the walking thread: its own connection, reading the database as it was
  // when the run started (a WAL snapshot), so that what this run writes never changes what it skips.
  class Reader {
   public:
    ~Reader();
    bool Unchanged(const UnitInfo& unit);

   private:
    friend class HistoryDb;
    sqlite3* db_ = nullptr;
    sqlite3_stmt* lookup_ = nullptr;
  };
  Result<std::unique_ptr<Reader>> OpenReader() const;

  // The write side (reducing thread only).
  Status BeginUnit(const std::string& path);  // forgets what was stored for this input
  // `report` sightings only count signatures; `crash` and `finding` ones are what summaries show.
  // Sets *is_new for a signature first seen in this run.
  Status AddReport(const std::string& unit, const Sighting& s, bool counted_in_summary, bool* is_new);
  Status AddFinding(const std::string& unit, const Sighting& s);
  Status AddError(const std::string& unit, UnitCounts& counts, const std::string& message);
  Status EndUnit(const UnitInfo& unit, const UnitCounts& counts);
  Result<RememberedUnit> Load(const std::string& path);
  // Commits the open batch when it is large or old enough (or always with force).
  Status MaybeCommit(bool force);
  Status Finish(bool interrupted, int64_t now);

 private:
  HistoryDb() = default;
  Status Exec(const char* sql);
  Status Begin();
  Status Step(sqlite3_stmt* stmt, const char* what);
  Error DbError(const std::string& what) const;
  sqlite3_stmt* Prepare(const char* sql);

  std::string path_;
  // The one-writer lock (flock on the database file), taken before anything is read or written
  // and held until the run ends: two runs never interleave their batches.
  ScopedFd lock_;
  sqlite3* db_ = nullptr;
  int64_t run_ = 0;
  int64_t started_ = 0;
  bool in_transaction_ = false;
  uint64_t batch_ops_ = 0;
  int64_t batch_started_ms_ = 0;
  std::map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace ktriage::history
