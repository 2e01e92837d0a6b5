// HistoryQuery: plain SELECTs over the tables of history_db.cpp (docs/triage.md).
#include "analyzer/history/history_query.h"

#include <sqlite3.h>

#include <charconv>
#include <ctime>
#include <functional>

namespace ktriage::history {
namespace {

std::string Text(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
}

struct Stmt {
  sqlite3_stmt* st = nullptr;
  ~Stmt() { sqlite3_finalize(st); }
};

void Bind(sqlite3_stmt* st, int i, const std::string& s) { sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT); }

}  // namespace

Result<int64_t> ParseSince(const std::string& text) {
  int64_t seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size()) return seconds;
  for (const char* format : {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') return static_cast<int64_t>(timegm(&tm));
  }
  return Error{"invalid date '" + text + "' (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or seconds since the epoch; UTC)"};
}

Result<std::unique_ptr<HistoryQuery>> HistoryQuery::Open(const std::string& path) {
  std::unique_ptr<HistoryQuery> q(new HistoryQuery());
  q->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &q->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return q->DbError("cannot open the history");
  }
  sqlite3_busy_timeout(q->db_, 2000);
  Stmt meta;
  if (sqlite3_prepare_v2(q->db_, "SELECT value FROM meta WHERE key = 'schema'", -1, &meta.st, nullptr) != SQLITE_OK ||
      sqlite3_step(meta.st) != SQLITE_ROW || Text(meta.st, 0).rfind("ktriage.history/", 0) != 0) {
    return Error{path + ": not a ktriage history database"};
  }
  return q;
}

HistoryQuery::~HistoryQuery() { sqlite3_close(db_); }

Error HistoryQuery::DbError(const std::string& what) const {
  return Error{path_ + ": " + what + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory")};
}

Status HistoryQuery::Fill(SignatureFacts& f, size_t examples) {
  Stmt hosts;
  if (sqlite3_prepare_v2(db_,
                         "SELECT host, count(*) AS n FROM sightings WHERE key = ?1 AND what != 'finding' AND host != '' "
                         "GROUP BY host ORDER BY n DESC, host",
                         -1, &hosts.st, nullptr) != SQLITE_OK) {
    return DbError("reading hosts");
  }
  Bind(hosts.st, 1, f.signature);
  while (sqlite3_step(hosts.st) == SQLITE_ROW) f.hosts.emplace_back(Text(hosts.st, 0), sqlite3_column_int64(hosts.st, 1));
  Stmt ex;
  if (sqlite3_prepare_v2(db_,
                         "SELECT member, line FROM sightings WHERE key = ?1 AND what != 'finding' "
                         "ORDER BY member, line LIMIT ?2",
                         -1, &ex.st, nullptr) != SQLITE_OK) {
    return DbError("reading examples");
  }
  Bind(ex.st, 1, f.signature);
  sqlite3_bind_int64(ex.st, 2, static_cast<int64_t>(examples));
  while (sqlite3_step(ex.st) == SQLITE_ROW) f.examples.push_back(Text(ex.st, 0) + ":" + std::to_string(sqlite3_column_int64(ex.st, 1)));
  return Ok{};
}

Result<std::vector<SignatureFacts>> HistoryQuery::Rows(const char* sql, const std::function<void(sqlite3_stmt*)>& bind,
                                                       size_t examples) {
  Stmt st;
  if (sqlite3_prepare_v2(db_, sql, -1, &st.st, nullptr) != SQLITE_OK) return DbError("reading signatures");
  bind(st.st);
  std::vector<SignatureFacts> out;
  int rc;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
    SignatureFacts f;
    f.signature = Text(st.st, 0);
    f.title = Text(st.st, 1);
    f.kind = Text(st.st, 2);
    f.count = static_cast<uint64_t>(sqlite3_column_int64(st.st, 3));
    f.first_seen = sqlite3_column_int64(st.st, 4);
    f.last_seen = sqlite3_column_int64(st.st, 5);
    f.first_run = sqlite3_column_int64(st.st, 6);
    out.push_back(std::move(f));
  }
  if (rc != SQLITE_DONE) return DbError("reading signatures");
  for (SignatureFacts& f : out) {
    if (auto s = Fill(f, examples); !s) return s.error();
  }
  return out;
}

#define KTRIAGE_SIGNATURE_COLUMNS "signature, title, kind, count, first_seen, last_seen, first_run FROM signatures "

Result<std::vector<SignatureFacts>> HistoryQuery::Top(size_t n, size_t examples) {
  return Rows("SELECT " KTRIAGE_SIGNATURE_COLUMNS "WHERE count > 0 ORDER BY count DESC, signature LIMIT ?1",
              [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, static_cast<int64_t>(n)); }, examples);
}

Result<std::vector<SignatureFacts>> HistoryQuery::NewSince(int64_t since, size_t examples) {
  return Rows("SELECT " KTRIAGE_SIGNATURE_COLUMNS "WHERE count > 0 AND first_seen >= ?1 ORDER BY first_seen, signature",
              [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, since); }, examples);
}

Result<SignatureFacts> HistoryQuery::Signature(const std::string& signature, size_t examples) {
  Result<std::vector<SignatureFacts>> rows =
      Rows("SELECT " KTRIAGE_SIGNATURE_COLUMNS "WHERE signature = ?1", [&](sqlite3_stmt* st) { Bind(st, 1, signature); },
           examples);
  if (!rows) return rows.error();
  if (rows->empty()) return SignatureFacts{};
  return std::move(rows->front());
}

Result<int64_t> HistoryQuery::LastRun() {
  Stmt st;
  if (sqlite3_prepare_v2(db_, "SELECT coalesce(max(id), 0) FROM runs", -1, &st.st, nullptr) != SQLITE_OK ||
      sqlite3_step(st.st) != SQLITE_ROW) {
    return DbError("reading runs");
  }
  return sqlite3_column_int64(st.st, 0);
}

Result<RememberedUnit> HistoryQuery::Input(const std::string& path) {
  RememberedUnit out;
  Stmt in, skips, errors, sightings;
  if (sqlite3_prepare_v2(db_, "SELECT logs, dumps, superseded FROM inputs WHERE path = ?1", -1, &in.st, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "SELECT reason, count FROM input_skips WHERE input = ?1 ORDER BY reason", -1, &skips.st,
                         nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "SELECT message FROM input_errors WHERE input = ?1 ORDER BY seq", -1, &errors.st, nullptr) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(db_,
                         "SELECT what, key, title, detail, host, member, line, time FROM sightings "
                         "WHERE input = ?1 ORDER BY rowid",
                         -1, &sightings.st, nullptr) != SQLITE_OK) {
    return DbError("preparing a read");
  }
  Bind(in.st, 1, path);
  if (sqlite3_step(in.st) == SQLITE_ROW) {
    out.logs = static_cast<uint64_t>(sqlite3_column_int64(in.st, 0));
    out.dumps = static_cast<uint64_t>(sqlite3_column_int64(in.st, 1));
    out.superseded = static_cast<uint64_t>(sqlite3_column_int64(in.st, 2));
  }
  Bind(skips.st, 1, path);
  while (sqlite3_step(skips.st) == SQLITE_ROW) out.skipped[Text(skips.st, 0)] += static_cast<uint64_t>(sqlite3_column_int64(skips.st, 1));
  Bind(errors.st, 1, path);
  while (sqlite3_step(errors.st) == SQLITE_ROW) out.errors.push_back(Text(errors.st, 0));
  Bind(sightings.st, 1, path);
  while (sqlite3_step(sightings.st) == SQLITE_ROW) {
    Sighting s;
    const std::string what = Text(sightings.st, 0);
    s.rule = what == "finding";
    s.key = Text(sightings.st, 1);
    s.title = Text(sightings.st, 2);
    s.detail = Text(sightings.st, 3);
    s.host = Text(sightings.st, 4);
    s.input = Text(sightings.st, 5);
    s.line = static_cast<uint64_t>(sqlite3_column_int64(sightings.st, 6));
    if (sqlite3_column_type(sightings.st, 7) != SQLITE_NULL) s.time = sqlite3_column_int64(sightings.st, 7);
    (what == "report" ? out.known_reports : out.sightings).push_back(std::move(s));
  }
  return out;
}

}  // namespace ktriage::history
