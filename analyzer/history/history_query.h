// HistoryQuery: the read-only side of the history database, for `ktriage history` (top
// signatures, what is new since a date, one signature's hosts and examples) and `ktriage merge
// --from-db` (new marks and remembered inputs of each shard's database).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "analyzer/history/history_db.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ktriage::history {

struct SignatureFacts {
  std::string signature;
  std::string title;
  std::string kind;
  uint64_t count = 0;                 // reports with this signature, known or not
  int64_t first_seen = 0;             // seconds since the epoch
  int64_t last_seen = 0;
  int64_t first_run = 0;
  std::vector<std::pair<std::string, uint64_t>> hosts;  // named hosts by count (descending), then name
  std::vector<std::string> examples;  // "input:line", the first few in (input, line) order
};

class HistoryQuery {
 public:
  // Opens an existing history read-only; refuses a file that is not ktriage's.
  static Result<std::unique_ptr<HistoryQuery>> Open(const std::string& path);
  ~HistoryQuery();
  HistoryQuery(const HistoryQuery&) = delete;
  HistoryQuery& operator=(const HistoryQuery&) = delete;

  // By count (descending), then signature.
  Result<std::vector<SignatureFacts>> Top(size_t n, size_t examples = 1);
  // First seen at or after `since`, by first_seen then signature.
  Result<std::vector<SignatureFacts>> NewSince(int64_t since, size_t examples = 1);
  // Empty signature when there is none.
  Result<SignatureFacts> Signature(const std::string& signature, size_t examples = 5);
  // The last run recorded (0: none).
  Result<int64_t> LastRun();
  // What the history holds about one top-level input (as HistoryDb::Load).
  Result<RememberedUnit> Input(const std::string& path);

 private:
  HistoryQuery() = default;
  Result<std::vector<SignatureFacts>> Rows(const char* sql, const std::function<void(sqlite3_stmt*)>& bind,
                                           size_t examples);
  Status Fill(SignatureFacts& f, size_t examples);
  Error DbError(const std::string& what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
};

// "2026-11-22", "2026-11-22T10:00:00Z", "2026-11-22 10:00:00" (UTC) or seconds since the epoch.
Result<int64_t> ParseSince(const std::string& text);

}  // namespace ktriage::history
