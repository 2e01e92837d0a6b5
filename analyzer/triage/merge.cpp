// MergeShards: JSON Lines back into ItemOutcomes (input, then its reports, then its findings),
// then AddOutcomeCounts and ForEachSighting as in a run.
#include "analyzer/triage/merge.h"

#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "analyzer/history/history_query.h"
#include "analyzer/triage/outcome_summary.h"
#include "analyzer/triage/jsonl_record.h"
#include "analyzer/triage/work_item.h"

namespace ktriage::triage {
namespace {

using nlohmann::json;

std::optional<int64_t> ParseTime(const json& j) {
  if (!j.is_string()) return std::nullopt;
  std::tm tm{};
  const std::string s = j.get<std::string>();
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t Num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

std::optional<OutcomeStatus> StatusFromName(const std::string& name) {
  for (OutcomeStatus s : {OutcomeStatus::kAnalysed, OutcomeStatus::kFailed, OutcomeStatus::kSkipped,
                          OutcomeStatus::kSuperseded, OutcomeStatus::kInterrupted}) {
    if (name == std::string(StatusName(s))) return s;
  }
  return std::nullopt;
}

class Merger {
 public:
  explicit Merger(std::vector<std::unique_ptr<history::HistoryQuery>> dbs) : dbs_(std::move(dbs)) {}

  Status Prepare() {
    for (auto& db : dbs_) {
      Result<int64_t> last = db->LastRun();
      if (!last) return last.error();
      last_runs_.push_back(*last);
    }
    return Ok{};
  }

  void File(size_t index, const std::string& path, std::ostream* out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      problems_.push_back(path + ": cannot be read");
      return;
    }
    std::string line;
    uint64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      if (out != nullptr) *out << line << '\n';
      json j = json::parse(line, nullptr, false);
      const std::string type = j.is_object() ? Str(j, "type") : "";
      if (type == "input") {
        Flush();
        Input(index, path, j);
      } else if (type == "report" && current_) {
        ReportDigest r{Str(j, "signature"), Str(j, "title"), Str(j, "kind"), Str(j, "host"), Num(j, "line_start"),
                       Num(j, "line_end"), nullptr};
        current_->digests.AddReport(std::move(r));
      } else if (type == "finding" && current_) {
        FindingDigest f;
        f.rule = Str(j, "rule");
        f.title = Str(j, "title");
        f.severity = Str(j, "severity");
        if (auto r = j.find("report"); r != j.end() && r->is_number_unsigned()) f.report = r->get<size_t>();
        if (auto ev = j.find("evidence"); ev != j.end() && ev->is_array()) {
          for (const json& e : *ev) {
            if (e.is_object()) f.evidence.push_back(Num(e, "line"));
          }
        }
        f.line = f.evidence.empty() ? 0 : f.evidence.front();
        current_->digests.AddFinding(std::move(f));
      } else {
        problems_.push_back(path + ":" + std::to_string(number) + ": not a line of `ktriage triage --output`");
      }
    }
    Flush();
  }

  MergeResult Finish() {
    MergeResult r;
    r.summary = builder_.Finish();  // the counts, the rows and the crashes per day
    TriageSummary& s = r.summary;
    s.from_history = remembered_.size();
    s.history = !dbs_.empty();
    r.problems = std::move(problems_);
    return r;
  }

 private:
  void Input(size_t index, const std::string& path, const json& j) {
    const std::string status = Str(j, "status");
    if (status == "remembered") {
      Remembered(index, path, Str(j, "input"));
      return;
    }
    std::optional<OutcomeStatus> s = StatusFromName(status);
    if (!s) {
      problems_.push_back(path + ": input '" + Str(j, "input") + "' has an unknown status '" + status + "'");
      return;
    }
    current_ = std::make_unique<ItemOutcome>();
    ItemOutcome& o = *current_;
    o.status = *s;
    o.name = Str(j, "input");
    o.host = Str(j, "host");
    o.time = ParseTime(j.value("time", json()));
    o.reason = Str(j, "reason");
    o.kind = Str(j, "kind");
    o.bytes = Num(j, "bytes");
    if (auto e = j.find("errors"); e != j.end() && e->is_array()) {
      for (const json& line : *e) {
        if (line.is_string()) o.errors.push_back(line.get<std::string>());
      }
    }
  }

  void Flush() {
    if (!current_) return;
    ItemOutcome& o = *current_;
    AddOutcomeCounts(o, builder_.counts());
    if (o.status == OutcomeStatus::kAnalysed || o.status == OutcomeStatus::kFailed) {
      const Status read = ForEachSighting(
          o,
          [&](Sighting& s, bool unknown) {
            builder_.CountCrash(s);
            if (!unknown) return;
            s.is_new = IsNew(s.key);
            builder_.Add(s);
          },
          [&](Sighting& f) { builder_.Add(f); });
      if (!read) problems_.push_back(o.name + ": " + read.error().message);
    }
    current_.reset();
  }

  void Remembered(size_t index, const std::string& path, const std::string& input) {
    const bool first = remembered_.insert(input).second;
    if (index >= dbs_.size()) {
      if (first) {
        problems_.push_back(path + ": " + input +
                            " was remembered by the shard's history, not read: its results are not in the JSON Lines "
                            "(give the shards' databases with --from-db, or run the shards with --rescan)");
      }
      return;
    }
    Result<history::RememberedUnit> unit = dbs_[index]->Input(input);
    if (!unit) {
      problems_.push_back(unit.error().message);
      return;
    }
    TriageSummary& counts = builder_.counts();
    counts.logs += unit->logs;
    counts.dumps += unit->dumps;
    counts.superseded += unit->superseded;
    for (const auto& [reason, n] : unit->skipped) counts.skipped[reason] += n;
    counts.failed += unit->errors.size();
    for (const Sighting& s : unit->sightings) {
      builder_.Add(s);
      if (!s.rule) builder_.CountCrash(s);
    }
    for (const Sighting& s : unit->known_reports) builder_.CountCrash(s);
  }

  // New: every shard database that knows the signature first saw it in its last run.
  bool IsNew(const std::string& signature) {
    if (dbs_.empty()) return false;
    auto [it, inserted] = is_new_.try_emplace(signature, false);
    if (!inserted) return it->second;
    bool any = false, all = true;
    for (size_t i = 0; i < dbs_.size(); ++i) {
      Result<history::SignatureFacts> f = dbs_[i]->Signature(signature, 0);
      if (!f || f->signature.empty()) continue;
      any = true;
      all = all && f->first_run == last_runs_[i];
    }
    it->second = any && all;
    return it->second;
  }

  std::vector<std::unique_ptr<history::HistoryQuery>> dbs_;
  std::vector<int64_t> last_runs_;
  SummaryBuilder builder_;
  std::unique_ptr<ItemOutcome> current_;
  std::set<std::string> remembered_;
  std::map<std::string, bool> is_new_;
  std::vector<std::string> problems_;
};

}  // namespace

Result<MergeResult> MergeShards(const MergeOptions& options) {
  if (!options.databases.empty() && options.databases.size() != options.jsonl.size()) {
    return Error{"--from-db needs one database per JSON Lines file, in the same order (" +
                 std::to_string(options.jsonl.size()) + " files, " + std::to_string(options.databases.size()) +
                 " databases)"};
  }
  std::vector<std::unique_ptr<history::HistoryQuery>> dbs;
  for (const std::string& path : options.databases) {
    Result<std::unique_ptr<history::HistoryQuery>> db = history::HistoryQuery::Open(path);
    if (!db) return db.error();
    dbs.push_back(std::move(*db));
  }
  Merger merger(std::move(dbs));
  if (auto s = merger.Prepare(); !s) return s.error();
  for (size_t i = 0; i < options.jsonl.size(); ++i) merger.File(i, options.jsonl[i], options.out);
  return merger.Finish();
}

}  // namespace ktriage::triage
