// MergeHistories: HistoryDb::Open makes the schema and the run; then each shard is ATTACHed and
// its rows upserted, in one transaction.
#include "analyzer/history/history_merge.h"

#include <sqlite3.h>
#include <unistd.h>

#include "analyzer/history/history_db.h"
#include "analyzer/history/history_query.h"

namespace ktriage::history {
namespace {

class Connection {
 public:
  ~Connection() { sqlite3_close(db); }
  Status Exec(const std::string& sql, const std::string& what) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return Ok{};
    std::string m = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return Error{what + ": " + m};
  }
  sqlite3* db = nullptr;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Status MergeHistories(const std::vector<std::string>& shards, const std::string& out, int64_t now) {
  if (::access(out.c_str(), F_OK) == 0) return Error{out + ": exists; merge --db writes a new database"};
  for (const std::string& path : shards) {
    Result<std::unique_ptr<HistoryQuery>> q = HistoryQuery::Open(path);  // refuses what is not ours
    if (!q) return q.error();
  }
  int64_t run = 0;
  {
    Result<std::unique_ptr<HistoryDb>> db = HistoryDb::Open(out, now);
    if (!db) return db.error();
    run = (*db)->run();
    if (auto s = (*db)->Finish(false, now); !s) return s;
  }
  Connection c;
  if (sqlite3_open_v2(out.c_str(), &c.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    return Error{out + ": cannot open: " + sqlite3_errmsg(c.db)};
  }
  sqlite3_busy_timeout(c.db, 10'000);
  const std::string r = std::to_string(run);
  if (auto s = c.Exec("BEGIN IMMEDIATE; CREATE TEMP TABLE finished(path TEXT PRIMARY KEY, shards INTEGER NOT NULL)",
                      out + ": starting the merge");
      !s) {
    return s;
  }
  for (size_t k = 0; k < shards.size(); ++k) {
    const std::string what = out + ": merging " + shards[k];
    if (auto s = c.Exec("ATTACH DATABASE " + Quote(shards[k]) + " AS shard", what); !s) return s;
    const std::string sql =
        "INSERT INTO temp.finished SELECT path, 1 FROM shard.inputs WHERE true "
        "  ON CONFLICT(path) DO UPDATE SET shards = shards + 1;"
        "INSERT INTO main.inputs(path, size, mtime_ns, hash, run, logs, dumps, superseded, bytes) "
        "  SELECT path, size, mtime_ns, hash, " + r + ", logs, dumps, superseded, bytes FROM shard.inputs WHERE true "
        "  ON CONFLICT(path) DO UPDATE SET logs = logs + excluded.logs, dumps = dumps + excluded.dumps, "
        "  superseded = superseded + excluded.superseded, bytes = bytes + excluded.bytes;"
        "INSERT INTO main.input_skips(input, reason, count) SELECT input, reason, count FROM shard.input_skips WHERE true "
        "  ON CONFLICT(input, reason) DO UPDATE SET count = count + excluded.count;"
        "INSERT INTO main.input_errors(input, seq, message) "
        "  SELECT input, seq + " + std::to_string(k) + " * 1000000000, message FROM shard.input_errors;"
        "INSERT INTO main.sightings(input, member, what, key, title, detail, host, line, time) "
        "  SELECT input, member, what, key, title, detail, host, line, time FROM shard.sightings ORDER BY rowid;"
        "INSERT INTO main.signatures(signature, title, kind, first_seen, last_seen, count, first_run) "
        "  SELECT signature, title, kind, first_seen, last_seen, count, "
        "    CASE WHEN first_run = (SELECT max(id) FROM shard.runs) THEN " + r + " ELSE 0 END "
        "  FROM shard.signatures WHERE count > 0 "
        "  ON CONFLICT(signature) DO UPDATE SET count = count + excluded.count, "
        "  first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen), "
        "  first_run = min(first_run, excluded.first_run);";
    if (auto s = c.Exec(sql, what); !s) return s;
    // DETACH is refused inside a transaction that used the database: commit each shard.
    if (auto s = c.Exec("COMMIT; DETACH DATABASE shard; BEGIN IMMEDIATE", what); !s) return s;
  }
  const std::string n = std::to_string(shards.size());
  const std::string unfinished = "(SELECT path FROM temp.finished WHERE shards < " + n + ")";
  return c.Exec("DELETE FROM main.inputs WHERE path IN " + unfinished + ";" +
                    "DELETE FROM main.input_skips WHERE input IN " + unfinished + ";" +
                    "DELETE FROM main.input_errors WHERE input IN " + unfinished + ";" + "COMMIT",
                out + ": finishing the merge");
}

}  // namespace ktriage::history
