// HistoryDb on SQLite: schema, prepared statements, batched transactions.
#include "analyzer/history/history_db.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>

#include <sqlite3.h>

#include <chrono>

namespace ktriage::history {
namespace {

constexpr const char* kSchemaVersion = "ktriage.history/1";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, started INTEGER NOT NULL, finished INTEGER,
                                interrupted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS inputs(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                                  hash TEXT NOT NULL, run INTEGER NOT NULL, logs INTEGER NOT NULL,
                                  dumps INTEGER NOT NULL, superseded INTEGER NOT NULL, bytes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS input_skips(input TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL,
                                       PRIMARY KEY(input, reason));
CREATE TABLE IF NOT EXISTS input_errors(input TEXT NOT NULL, seq INTEGER NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS input_errors_by_input ON input_errors(input);
CREATE TABLE IF NOT EXISTS signatures(signature TEXT PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL,
                                      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
                                      count INTEGER NOT NULL, first_run INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sightings(input TEXT NOT NULL, member TEXT NOT NULL, what TEXT NOT NULL,
                                     key TEXT NOT NULL, title TEXT NOT NULL, detail TEXT NOT NULL,
                                     host TEXT NOT NULL, line INTEGER NOT NULL, time INTEGER);
CREATE INDEX IF NOT EXISTS sightings_by_input ON sightings(input);
CREATE INDEX IF NOT EXISTS sightings_by_key ON sightings(key);
)sql";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t != nullptr ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, i)))
                      : std::string();
}

}  // namespace

HistoryDb::~HistoryDb() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  if (db_ != nullptr) {
    if (in_transaction_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }
}

Error HistoryDb::DbError(const std::string& what) const {
  const int code = db_ != nullptr ? sqlite3_errcode(db_) : SQLITE_ERROR;
  std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "cannot open";
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    why += "; another process is writing it (a second `ktriage triage`?): wait for it, or use --db FILE or --no-db";
  } else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
    why += "; the history is damaged: move it away (a new one is created) or use --db FILE or --no-db";
  }
  return Error{"history database " + path_ + ": " + what + ": " + why};
}

Status HistoryDb::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    return DbError(std::string("executing ") + std::string(sql).substr(0, 40));
  }
  return Ok{};
}

sqlite3_stmt* HistoryDb::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) return nullptr;
  statements_[sql] = stmt;
  return stmt;
}

Status HistoryDb::Step(sqlite3_stmt* stmt, const char* what) {
  if (stmt == nullptr) return DbError(std::string("preparing ") + what);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    Error e = DbError(what);
    sqlite3_reset(stmt);
    return e;
  }
  sqlite3_reset(stmt);  // an open statement would keep COMMIT from finishing
  ++batch_ops_;
  return Ok{};
}

Result<std::unique_ptr<HistoryDb>> HistoryDb::Open(const std::string& path, int64_t now) {
  std::unique_ptr<HistoryDb> h(new HistoryDb());
  h->path_ = path;
  h->started_ = now;
  // SQLite's own locks last a transaction; a run writes many. flock is separate from the POSIX
  // locks SQLite takes on the same file, so it never blocks SQLite, only a second run.
  h->lock_.Reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!h->lock_.valid()) return Error{"history database " + path + ": cannot open: " + std::strerror(errno)};
  if (::flock(h->lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error{"history database " + path + ": locked: another process is writing it (a second `ktriage triage`?): "
                   "wait for it, or use --db FILE or --no-db"};
    }
    return Error{"history database " + path + ": flock: " + std::strerror(errno)};
  }
  if (sqlite3_open_v2(path.c_str(), &h->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return h->DbError("cannot open");
  }
  sqlite3_extended_result_codes(h->db_, 0);
  // Short at start: a locked database is refused at once rather than after a long wait.
  sqlite3_busy_timeout(h->db_, 200);
  if (auto s = h->Exec("PRAGMA journal_mode=WAL"); !s) return s.error();
  if (auto s = h->Exec("PRAGMA synchronous=NORMAL"); !s) return s.error();
  if (auto s = h->Exec("BEGIN IMMEDIATE"); !s) return s.error();
  h->in_transaction_ = true;
  if (auto s = h->Exec(kSchema); !s) return s.error();
  sqlite3_stmt* version = h->Prepare("SELECT value FROM meta WHERE key='schema'");
  if (version == nullptr) return h->DbError("reading the schema version");
  if (sqlite3_step(version) == SQLITE_ROW) {
    const std::string v = ColumnText(version, 0);
    sqlite3_reset(version);
    if (v != kSchemaVersion) return Error{"history database " + path + ": schema '" + v + "', expected '" + kSchemaVersion + "'"};
  } else {
    sqlite3_reset(version);
    sqlite3_stmt* put = h->Prepare("INSERT INTO meta(key, value) VALUES('schema', ?1)");
    if (put != nullptr) BindText(put, 1, kSchemaVersion);
    if (auto s = h->Step(put, "writing the schema version"); !s) return s.error();
  }
  sqlite3_stmt* run = h->Prepare("INSERT INTO runs(started) VALUES(?1)");
  if (run != nullptr) sqlite3_bind_int64(run, 1, now);
  if (auto s = h->Step(run, "recording the run"); !s) return s.error();
  h->run_ = sqlite3_last_insert_rowid(h->db_);
  if (auto s = h->Exec("COMMIT"); !s) return s.error();
  h->in_transaction_ = false;
  sqlite3_busy_timeout(h->db_, 10'000);
  return h;
}

HistoryDb::Reader::~Reader() {
  if (lookup_ != nullptr) sqlite3_finalize(lookup_);
  if (db_ != nullptr) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }
}

Result<std::unique_ptr<HistoryDb::Reader>> HistoryDb::OpenReader() const {
  auto r = std::make_unique<Reader>();
  auto fail = [&](const char* what) {
    std::string why = r->db_ != nullptr ? sqlite3_errmsg(r->db_) : "cannot open";
    return Error{"history database " + path_ + ": " + what + ": " + why};
  };
  if (sqlite3_open_v2(path_.c_str(), &r->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return fail("cannot open for reading");
  }
  sqlite3_busy_timeout(r->db_, 10'000);
  if (sqlite3_prepare_v2(r->db_, "SELECT size, mtime_ns, hash FROM inputs WHERE path = ?1", -1, &r->lookup_,
                         nullptr) != SQLITE_OK) {
    return fail("preparing a lookup");
  }
  // The snapshot starts with the transaction's first read.
  if (sqlite3_exec(r->db_, "BEGIN; SELECT count(*) FROM inputs", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("starting a snapshot");
  }
  return r;
}

bool HistoryDb::Reader::Unchanged(const UnitInfo& unit) {
  sqlite3_reset(lookup_);
  BindText(lookup_, 1, unit.path);
  if (sqlite3_step(lookup_) != SQLITE_ROW) return false;
  return static_cast<uint64_t>(sqlite3_column_int64(lookup_, 0)) == unit.size &&
         sqlite3_column_int64(lookup_, 1) == unit.mtime_ns && ColumnText(lookup_, 2) == unit.hash;
}

Status HistoryDb::Begin() {
  if (in_transaction_) return Ok{};
  if (auto s = Exec("BEGIN IMMEDIATE"); !s) return s;
  in_transaction_ = true;
  batch_ops_ = 0;
  batch_started_ms_ = NowMs();
  return Ok{};
}

Status HistoryDb::BeginUnit(const std::string& path) {
  if (auto s = Begin(); !s) return s;
  sqlite3_stmt* counts = Prepare(
      "UPDATE signatures SET count = count - (SELECT count(*) FROM sightings s WHERE s.input = ?1 AND "
      "s.what != 'finding' AND s.key = signatures.signature) "
      "WHERE signature IN (SELECT key FROM sightings WHERE input = ?1 AND what != 'finding')");
  if (counts != nullptr) BindText(counts, 1, path);
  if (auto s = Step(counts, "forgetting an input's signatures"); !s) return s;
  for (const char* sql : {"DELETE FROM sightings WHERE input = ?1", "DELETE FROM input_errors WHERE input = ?1",
                          "DELETE FROM input_skips WHERE input = ?1", "DELETE FROM inputs WHERE path = ?1"}) {
    sqlite3_stmt* st = Prepare(sql);
    if (st != nullptr) BindText(st, 1, path);
    if (auto s = Step(st, "forgetting an input"); !s) return s;
  }
  return Ok{};
}

Status HistoryDb::AddReport(const std::string& unit, const Sighting& s, bool counted_in_summary, bool* is_new) {
  if (auto st = Begin(); !st) return st;
  const int64_t seen = s.time.value_or(started_);
  sqlite3_stmt* up = Prepare(
      "INSERT INTO signatures(signature, title, kind, first_seen, last_seen, count, first_run) "
      "VALUES(?1, ?2, ?3, ?4, ?4, 1, ?5) "
      "ON CONFLICT(signature) DO UPDATE SET count = count + 1, "
      "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen), "
      "first_run = CASE WHEN count <= 0 THEN excluded.first_run ELSE first_run END "
      "RETURNING first_run");
  if (up != nullptr) {
    BindText(up, 1, s.key);
    BindText(up, 2, s.title);
    BindText(up, 3, s.detail);
    sqlite3_bind_int64(up, 4, seen);
    sqlite3_bind_int64(up, 5, run_);
  }
  if (up == nullptr) return DbError("preparing the signature update");
  const int rc = sqlite3_step(up);
  if (rc != SQLITE_ROW) return DbError("updating a signature");
  *is_new = sqlite3_column_int64(up, 0) == run_;
  sqlite3_reset(up);
  ++batch_ops_;
  sqlite3_stmt* ins = Prepare(
      "INSERT INTO sightings(input, member, what, key, title, detail, host, line, time) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (ins != nullptr) {
    BindText(ins, 1, unit);
    BindText(ins, 2, s.input);
    BindText(ins, 3, counted_in_summary ? "crash" : "report");
    BindText(ins, 4, s.key);
    BindText(ins, 5, s.title);
    BindText(ins, 6, s.detail);
    BindText(ins, 7, s.host);
    sqlite3_bind_int64(ins, 8, static_cast<int64_t>(s.line));
    if (s.time) sqlite3_bind_int64(ins, 9, *s.time);
  }
  return Step(ins, "recording a crash");
}

Status HistoryDb::AddFinding(const std::string& unit, const Sighting& s) {
  if (auto st = Begin(); !st) return st;
  sqlite3_stmt* ins = Prepare(
      "INSERT INTO sightings(input, member, what, key, title, detail, host, line, time) "
      "VALUES(?1, ?2, 'finding', ?3, ?4, ?5, ?6, ?7, ?8)");
  if (ins != nullptr) {
    BindText(ins, 1, unit);
    BindText(ins, 2, s.input);
    BindText(ins, 3, s.key);
    BindText(ins, 4, s.title);
    BindText(ins, 5, s.detail);
    BindText(ins, 6, s.host);
    sqlite3_bind_int64(ins, 7, static_cast<int64_t>(s.line));
    if (s.time) sqlite3_bind_int64(ins, 8, *s.time);
  }
  return Step(ins, "recording a finding");
}

Status HistoryDb::AddError(const std::string& unit, UnitCounts& counts, const std::string& message) {
  if (auto st = Begin(); !st) return st;
  sqlite3_stmt* ins = Prepare("INSERT INTO input_errors(input, seq, message) VALUES(?1, ?2, ?3)");
  if (ins != nullptr) {
    BindText(ins, 1, unit);
    sqlite3_bind_int64(ins, 2, static_cast<int64_t>(counts.errors++));
    BindText(ins, 3, message);
  }
  return Step(ins, "recording an error");
}

Status HistoryDb::EndUnit(const UnitInfo& unit, const UnitCounts& counts) {
  if (auto st = Begin(); !st) return st;
  for (const auto& [reason, n] : counts.skipped) {
    sqlite3_stmt* ins = Prepare("INSERT INTO input_skips(input, reason, count) VALUES(?1, ?2, ?3)");
    if (ins != nullptr) {
      BindText(ins, 1, unit.path);
      BindText(ins, 2, reason);
      sqlite3_bind_int64(ins, 3, static_cast<int64_t>(n));
    }
    if (auto s = Step(ins, "recording skipped files"); !s) return s;
  }
  sqlite3_stmt* ins = Prepare(
      "INSERT OR REPLACE INTO inputs(path, size, mtime_ns, hash, run, logs, dumps, superseded, bytes) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (ins != nullptr) {
    BindText(ins, 1, unit.path);
    sqlite3_bind_int64(ins, 2, static_cast<int64_t>(unit.size));
    sqlite3_bind_int64(ins, 3, unit.mtime_ns);
    BindText(ins, 4, unit.hash);
    sqlite3_bind_int64(ins, 5, run_);
    sqlite3_bind_int64(ins, 6, static_cast<int64_t>(counts.logs));
    sqlite3_bind_int64(ins, 7, static_cast<int64_t>(counts.dumps));
    sqlite3_bind_int64(ins, 8, static_cast<int64_t>(counts.superseded));
    sqlite3_bind_int64(ins, 9, static_cast<int64_t>(counts.bytes));
  }
  return Step(ins, "recording an input");
}

Result<RememberedUnit> HistoryDb::Load(const std::string& path) {
  RememberedUnit out;
  sqlite3_stmt* in = Prepare("SELECT logs, dumps, superseded FROM inputs WHERE path = ?1");
  if (in == nullptr) return DbError("preparing a read");
  BindText(in, 1, path);
  if (sqlite3_step(in) == SQLITE_ROW) {
    out.logs = static_cast<uint64_t>(sqlite3_column_int64(in, 0));
    out.dumps = static_cast<uint64_t>(sqlite3_column_int64(in, 1));
    out.superseded = static_cast<uint64_t>(sqlite3_column_int64(in, 2));
  }
  sqlite3_reset(in);
  sqlite3_stmt* skips = Prepare("SELECT reason, count FROM input_skips WHERE input = ?1 ORDER BY reason");
  if (skips == nullptr) return DbError("preparing a read");
  BindText(skips, 1, path);
  while (sqlite3_step(skips) == SQLITE_ROW) out.skipped[ColumnText(skips, 0)] += static_cast<uint64_t>(sqlite3_column_int64(skips, 1));
  sqlite3_reset(skips);
  sqlite3_stmt* errors = Prepare("SELECT message FROM input_errors WHERE input = ?1 ORDER BY seq");
  if (errors == nullptr) return DbError("preparing a read");
  BindText(errors, 1, path);
  while (sqlite3_step(errors) == SQLITE_ROW) out.errors.push_back(ColumnText(errors, 0));
  sqlite3_reset(errors);
  sqlite3_stmt* sightings = Prepare(
      "SELECT what, key, title, detail, host, member, line, time FROM sightings "
      "WHERE input = ?1 ORDER BY rowid");
  if (sightings == nullptr) return DbError("preparing a read");
  BindText(sightings, 1, path);
  int rc;
  while ((rc = sqlite3_step(sightings)) == SQLITE_ROW) {
    Sighting s;
    const std::string what = ColumnText(sightings, 0);
    s.rule = what == "finding";
    s.key = ColumnText(sightings, 1);
    s.title = ColumnText(sightings, 2);
    s.detail = ColumnText(sightings, 3);
    s.host = ColumnText(sightings, 4);
    s.input = ColumnText(sightings, 5);
    s.line = static_cast<uint64_t>(sqlite3_column_int64(sightings, 6));
    if (sqlite3_column_type(sightings, 7) != SQLITE_NULL) s.time = sqlite3_column_int64(sightings, 7);
    (what == "report" ? out.known_reports : out.sightings).push_back(std::move(s));
  }
  sqlite3_reset(sightings);
  if (rc != SQLITE_DONE) return DbError("reading an input's sightings");
  return out;
}

Status HistoryDb::MaybeCommit(bool force) {
  if (!in_transaction_) return Ok{};
  if (!force && batch_ops_ < 5000 && NowMs() - batch_started_ms_ < 1000) return Ok{};
  if (auto s = Exec("COMMIT"); !s) return s;
  in_transaction_ = false;
  return Ok{};
}

Status HistoryDb::Finish(bool interrupted, int64_t now) {
  if (auto s = Begin(); !s) return s;
  sqlite3_stmt* st = Prepare("UPDATE runs SET finished = ?1, interrupted = ?2 WHERE id = ?3");
  if (st != nullptr) {
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, interrupted ? 1 : 0);
    sqlite3_bind_int64(st, 3, run_);
  }
  if (auto s = Step(st, "closing the run"); !s) return s;
  return MaybeCommit(true);
}

Result<std::string> DefaultHistoryPath(const std::string& data_dir) {
  if (data_dir.empty()) {
    return Error{"no place for the history: neither XDG_DATA_HOME nor HOME is set; give --db FILE or --no-db"};
  }
  const std::filesystem::path dir = std::filesystem::path(data_dir) / "ktriage";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir.string() + " for the history: " + ec.message() + "; give --db FILE or --no-db"};
  return (dir / "history.sqlite").string();
}

}  // namespace ktriage::history
