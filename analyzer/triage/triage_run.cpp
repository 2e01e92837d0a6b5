// RunTriage: the walker thread, the worker pool and the reducing thread (the caller's).
//
// Order: the walker numbers every item; the reducer consumes them strictly in that order (a
// finished item waits in `finished_` until its turn), so the summary, the JSON Lines, stderr and
// the history are the same whatever --jobs. Memory: the walker may run at most `window_` items
// ahead of the reducer, members held in memory are capped by buffer_budget_bytes, and each
// waiting input keeps at most jsonl_memory_bytes of JSON Lines in RAM (the rest in a temp file).
#include "analyzer/triage/triage.h"

#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "analyzer/history/history_db.h"
#include "analyzer/triage/input_walker.h"
#include "analyzer/triage/item_analyzer.h"
#include "analyzer/triage/jsonl_record.h"
#include "analyzer/triage/outcome_summary.h"

namespace ktriage::triage {
namespace {

using Clock = std::chrono::steady_clock;

ItemAnalyzerOptions ItemAnalyzerOptionsOf(const TriageOptions& options) {
  ItemAnalyzerOptions o;
  o.limits = &options.limits;
  o.temp_dir = options.temp_dir;
  o.jsonl = options.jsonl != nullptr;
  o.keep_reports = options.keep_examples;
  o.cancel = options.interrupted;
  o.dump = pipeline::DumpSessionOptions{options.dump_reader, options.temp_dir, "", true};
  return o;
}

class Run final : public WalkSink {
 public:
  Run(const TriageOptions& options, pipeline::Tools tools, history::HistoryDb* db,
      std::unique_ptr<history::HistoryDb::Reader> reader)
      : options_(options),
        items_(ItemAnalyzerOptionsOf(options), std::move(tools)),
        db_(db),
        reader_(std::move(reader)),
        window_(std::max<size_t>(64, 8 * static_cast<size_t>(std::max(1u, options.jobs)))) {}

  TriageResult Execute() {
    started_ = Clock::now();
    std::vector<std::thread> workers;
    const unsigned jobs = std::max(1u, options_.jobs);
    for (unsigned i = 0; i < jobs; ++i) workers.emplace_back([this] { WorkerLoop(); });
    std::thread walker([this] { WalkerMain(); });
    ReduceLoop();
    walker.join();
    {
      std::lock_guard lock(mu_);
      walk_done_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : workers) t.join();

    result_.interrupted = Cancelled();
    if (db_ != nullptr && db_ok_) {
      if (auto s = db_->Finish(result_.interrupted, options_.now); !s) Problem(s.error().message);
    }
    if (options_.jsonl != nullptr) options_.jsonl->flush();
    if (options_.on_progress) options_.on_progress(Progress(true));
    result_.summary = builder_.Finish();  // the counts, the rows and the crashes per day
    TriageSummary& s = result_.summary;
    s.history = db_ != nullptr;
    s.interrupted = result_.interrupted;
    return std::move(result_);
  }

  // WalkSink, on the walking thread.
  void Submit(WorkItem item) override {
    const bool counts_as_input = item.kind != ItemKind::kUnitBegin && item.kind != ItemKind::kUnitEnd;
    std::unique_lock lock(mu_);
    if (next_seq_ - reduced_ >= window_) {
      // A full window: wait until half of it is reduced, not for each item, so that the walker
      // wakes once per window_/2 items (each wake-up costs both threads a context switch).
      walker_waiting_ = true;
      while (next_seq_ - reduced_ > window_ / 2 && !Cancelled()) space_cv_.wait_for(lock, std::chrono::milliseconds(200));
      walker_waiting_ = false;
    }
    item.seq = next_seq_++;
    if (counts_as_input) ++found_;
    if (NeedsWorker(item.kind)) {
      work_.push_back(std::move(item));
      lock.unlock();
      work_cv_.notify_one();
    } else {
      const uint64_t seq = item.seq;
      finished_.emplace(seq, std::move(item));
      const bool wake = ReducerMayGo();
      lock.unlock();
      if (wake) result_cv_.notify_one();
    }
  }

  bool Unchanged(const UnitInfo& unit) override {
    return reader_ != nullptr && !options_.rescan && reader_->Unchanged(unit);
  }

  void ReserveBuffer(uint64_t bytes) override {
    std::unique_lock lock(mu_);
    while (buffered_ != 0 && buffered_ + bytes > options_.limits.buffer_budget_bytes && !Cancelled()) {
      budget_cv_.wait_for(lock, std::chrono::milliseconds(200));
    }
    buffered_ += bytes;
  }

  std::unique_ptr<ItemOutcome> AnalyzeInline(const WorkItem& meta, InputSource& source) override {
    return Guarded(meta.name, [&] { return items_.AnalyzeLog(meta, source, std::string(source.compression())); });
  }

 private:
  bool Cancelled() const {
    return options_.interrupted != nullptr && options_.interrupted->load(std::memory_order_relaxed);
  }

  template <typename F>
  std::unique_ptr<ItemOutcome> Guarded(const std::string& name, F&& f) {
    try {
      return f();
    } catch (const std::exception& e) {
      auto o = std::make_unique<ItemOutcome>();
      o->name = name;
      o->status = OutcomeStatus::kFailed;
      o->errors.push_back(name + ": internal error: " + e.what());
      return o;
    }
  }

  void WalkerMain() {
    WalkOptions walk;
    walk.limits = &options_.limits;
    walk.temp_dir = options_.temp_dir;
    walk.cancel = options_.interrupted;
    walk.hash_inputs = db_ != nullptr;
    walk.shard = options_.shard;
    for (const std::string& path : options_.not_inputs) {
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0) walk.not_inputs.push_back({st.st_dev, st.st_ino});
    }
    try {
      WalkInputs(options_.paths, walk, *this);
    } catch (const std::exception& e) {
      std::lock_guard lock(mu_);
      walker_problem_ = std::string("internal error walking the inputs: ") + e.what();
    }
    reader_.reset();  // ends the read snapshot
    {
      std::lock_guard lock(mu_);
      walk_done_ = true;
    }
    work_cv_.notify_all();
    result_cv_.notify_all();
  }

  void WorkerLoop() {
    for (;;) {
      WorkItem item;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return !work_.empty() || walk_done_; });
        if (work_.empty()) return;
        item = std::move(work_.front());
        work_.pop_front();
      }
      std::unique_ptr<ItemOutcome> outcome = Guarded(item.name, [&] { return items_.Analyze(item); });
      const uint64_t freed = item.buffered_bytes;
      item.buffer = {};  // may give a decompressed block back to the walker
      item.temp.Reset();
      item.kind = ItemKind::kDone;
      item.outcome = std::move(outcome);
      bool wake = false;
      {
        std::lock_guard lock(mu_);
        buffered_ -= freed;
        const uint64_t seq = item.seq;
        finished_.emplace(seq, std::move(item));
        wake = ReducerMayGo();
      }
      budget_cv_.notify_all();
      if (wake) result_cv_.notify_one();
    }
  }

  void ReduceLoop() {
    Clock::time_point last_progress = Clock::now();
    for (;;) {
      WorkItem item;
      {
        std::unique_lock lock(mu_);
        // Once the next item is there, the rest of a batch is taken without waiting again.
        const bool ready = finished_.count(reduced_) != 0 ||
                           result_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] {
                             return (finished_.count(reduced_) != 0 && ReducerMayGo()) || (walk_done_ && reduced_ == next_seq_);
                           });
        if (!ready) {
          lock.unlock();
          MaybeProgress(last_progress);
          continue;
        }
        auto it = finished_.find(reduced_);
        if (it == finished_.end()) break;  // the walk is over and everything was reduced
        item = std::move(it->second);
        finished_.erase(it);
      }
      Reduce(std::move(item));
      bool wake = false;
      {
        std::lock_guard lock(mu_);
        ++reduced_;
        wake = walker_waiting_ && next_seq_ - reduced_ <= window_ / 2;
      }
      if (wake) space_cv_.notify_one();
      MaybeProgress(last_progress);
    }
    std::lock_guard lock(mu_);
    if (!walker_problem_.empty()) result_.problems.push_back(walker_problem_);
  }

  // Whether the reducer, waiting for the next item, should be woken now (under mu_): not for each
  // finished item but for a batch of them, or when nothing more may come (the walk is over, or the
  // walker waits for room); the next item itself must be among them, which the reducer checks.
  bool ReducerMayGo() const {
    constexpr size_t kBatch = 8;
    return finished_.size() >= kBatch || walk_done_ || walker_waiting_ || Cancelled();
  }

  TriageProgress Progress(bool final) {
    TriageProgress p;
    {
      std::lock_guard lock(mu_);
      p.found = found_;
    }
    p.done = done_;
    p.bytes = bytes_;
    p.findings = findings_;
    p.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    p.final = final;
    return p;
  }

  void MaybeProgress(Clock::time_point& last) {
    if (!options_.on_progress) return;
    const auto now = Clock::now();
    if (now - last < std::chrono::milliseconds(200)) return;
    last = now;
    options_.on_progress(Progress(false));
  }

  void Problem(const std::string& message) { result_.problems.push_back(message); }

  // A history write failed: say so once and stop writing; the run and its summary go on.
  void DbStatus(const Status& s) {
    if (s || !db_ok_) return;
    db_ok_ = false;
    Problem(s.error().message + " (the history is not updated by this run)");
  }

  bool Storing() const { return db_ != nullptr && db_ok_ && in_unit_; }

  void Reduce(WorkItem&& item) {
    switch (item.kind) {
      case ItemKind::kUnitBegin:
        in_unit_ = true;
        unit_interrupted_ = false;
        unit_counts_ = history::UnitCounts{};
        unit_path_ = item.unit.path;
        if (Storing()) DbStatus(db_->BeginUnit(unit_path_));
        return;
      case ItemKind::kUnitEnd:
        FlushHeld();
        if (Storing()) {
          // A unit cut short (Ctrl-C, a limit) is kept as far as it was read, as the summary
          // counts it, but without its content hash: the next run reads it again.
          history::UnitInfo unit = item.unit;
          if (!item.unit_complete || unit_interrupted_ || Cancelled()) unit.hash.clear();
          DbStatus(db_->EndUnit(unit, unit_counts_));
        }
        in_unit_ = false;
        if (db_ != nullptr && db_ok_) DbStatus(db_->MaybeCommit(false));
        return;
      case ItemKind::kCachedUnit:
        Remembered(item.unit.path);
        return;
      default:
        break;
    }
    if (!item.outcome) return;
    std::unique_ptr<ItemOutcome> o = std::move(item.outcome);
    if (o->status == OutcomeStatus::kInterrupted) {
      unit_interrupted_ = true;
      return;
    }
    if (o->kdump.role != KdumpRole::kNone && in_unit_) {
      auto partner = held_.find(o->kdump.key);
      if (partner == held_.end() || partner->second->kdump.role == o->kdump.role) {
        if (partner != held_.end()) Emit(std::move(partner->second));
        held_[o->kdump.key] = std::move(o);
        return;
      }
      std::unique_ptr<ItemOutcome> first = std::move(partner->second);
      held_.erase(partner);
      ItemOutcome& dump = first->kdump.role == KdumpRole::kDump ? *first : *o;
      ItemOutcome& dmesg = first->kdump.role == KdumpRole::kDump ? *o : *first;
      const bool dump_read = dump.status == OutcomeStatus::kAnalysed && dump.kind == "dump" && dump.dump_log_read;
      if (dump_read) {
        dmesg.status = OutcomeStatus::kSuperseded;
        dmesg.reason = "kdump dmesg of " + dump.name + ", which was read";
      } else {
        const std::string why = !dump.errors.empty()           ? dump.errors.front()
                                : dump.kind == "dump"             ? dump.name + ": the dump's kernel log cannot be read"
                                                                  : dump.name + ": " + dump.reason;
        dmesg.warnings.push_back(why + "; read the kdump dmesg beside it instead (" + dmesg.name + ")");
        dump.status = OutcomeStatus::kSuperseded;
        dump.reason = "unreadable kdump dump; " + dmesg.name + " was read instead";
        dump.errors.clear();
      }
      Emit(std::move(first));
      Emit(std::move(o));
      return;
    }
    Emit(std::move(o));
  }

  void FlushHeld() {
    // Parts of a crash whose other part never came: on their own, in walk order (by name is
    // enough: the key map is ordered and each held outcome is one input).
    std::vector<std::unique_ptr<ItemOutcome>> rest;
    for (auto& [key, o] : held_) rest.push_back(std::move(o));
    held_.clear();
    for (auto& o : rest) Emit(std::move(o));
  }

  void Emit(std::unique_ptr<ItemOutcome> o) {
    ++done_;
    AddOutcomeCounts(*o, builder_.counts());
    switch (o->status) {
      case OutcomeStatus::kSkipped:
        ++unit_counts_.skipped[o->reason];
        if (options_.on_skip) options_.on_skip(o->name, o->reason);
        break;
      case OutcomeStatus::kSuperseded:
        ++unit_counts_.superseded;
        break;
      case OutcomeStatus::kAnalysed:
      case OutcomeStatus::kFailed:
        Count(*o);
        break;
      case OutcomeStatus::kInterrupted:
        break;
    }
    for (const std::string& w : o->warnings) {
      if (options_.on_warning) options_.on_warning(w);
    }
    if (options_.jsonl != nullptr) {
      *options_.jsonl << InputLine(*o);
      if (o->status == OutcomeStatus::kAnalysed || o->status == OutcomeStatus::kFailed) {
        if (auto s = o->jsonl.CopyTo(*options_.jsonl); !s) Problem(o->name + ": " + s.error().message);
      }
    }
  }

  // The history and the unit's counts (the summary's come from AddOutcomeCounts).
  void Count(ItemOutcome& o) {
    if (o.kind == "dump") ++unit_counts_.dumps;
    else if (o.kind == "log") ++unit_counts_.logs;
    bytes_ += o.bytes;
    unit_counts_.bytes += o.bytes;
    if (o.status == OutcomeStatus::kFailed) {
      for (const std::string& e : o.errors) {
        if (options_.on_error) options_.on_error(e);
        if (Storing()) DbStatus(db_->AddError(unit_path_, unit_counts_, e));
      }
    }
    const Status read = ForEachSighting(
        o,
        [&](Sighting& s, bool unknown) {
          if (Storing()) DbStatus(db_->AddReport(unit_path_, s, unknown, &s.is_new));
          builder_.CountCrash(s);
          if (unknown) builder_.Add(s);
        },
        [&](Sighting& s) {
          builder_.Add(s);
          if (Storing()) DbStatus(db_->AddFinding(unit_path_, s));
        });
    if (!read) Problem(o.name + ": " + read.error().message);
    findings_ += o.digests.findings();
  }

  void Remembered(const std::string& path) {
    TriageSummary& counts = builder_.counts();
    ++counts.from_history;
    ++done_;
    Result<history::RememberedUnit> unit = db_->Load(path);
    if (!unit) {
      DbStatus(unit.error());
      return;
    }
    counts.logs += unit->logs;
    counts.dumps += unit->dumps;
    counts.superseded += unit->superseded;
    for (const auto& [reason, n] : unit->skipped) counts.skipped[reason] += n;
    // Failed inputs fail again, as they would if read again: the exit status says so too.
    counts.failed += unit->errors.size();
    for (const std::string& e : unit->errors) {
      if (options_.on_error) options_.on_error(e);
    }
    uint64_t findings = 0, crashes = 0;
    for (const Sighting& s : unit->sightings) {
      builder_.Add(s);
      (s.rule ? findings : crashes) += 1;
      if (!s.rule) builder_.CountCrash(s);
    }
    for (const Sighting& s : unit->known_reports) builder_.CountCrash(s);
    findings_ += findings;
    if (options_.jsonl != nullptr) *options_.jsonl << RememberedInputLine(path, findings, crashes, unit->errors.size());
  }

  const TriageOptions& options_;
  ItemAnalyzer items_;
  history::HistoryDb* db_;
  std::unique_ptr<history::HistoryDb::Reader> reader_;  // the walking thread's
  const size_t window_;
  Clock::time_point started_;

  std::mutex mu_;
  std::condition_variable work_cv_, space_cv_, result_cv_, budget_cv_;
  bool walker_waiting_ = false;  // for room in the window (Submit)
  std::deque<WorkItem> work_;
  std::map<uint64_t, WorkItem> finished_;
  uint64_t next_seq_ = 0;
  uint64_t reduced_ = 0;
  uint64_t found_ = 0;
  uint64_t buffered_ = 0;
  bool walk_done_ = false;
  std::string walker_problem_;

  // The reducing thread's alone.
  SummaryBuilder builder_;
  TriageResult result_;
  bool db_ok_ = true;
  bool in_unit_ = false;
  bool unit_interrupted_ = false;
  std::string unit_path_;
  history::UnitCounts unit_counts_;
  std::map<std::string, std::unique_ptr<ItemOutcome>> held_;  // kdump parts waiting for the other
  uint64_t done_ = 0, bytes_ = 0, findings_ = 0;
};

}  // namespace

Result<TriageResult> RunTriage(const TriageOptions& options, pipeline::Tools tools) {
  std::unique_ptr<history::HistoryDb> db;
  std::unique_ptr<history::HistoryDb::Reader> reader;
  if (!options.db_path.empty()) {
    Result<std::unique_ptr<history::HistoryDb>> opened = history::HistoryDb::Open(options.db_path, options.now);
    if (!opened) return opened.error();
    db = std::move(*opened);
    Result<std::unique_ptr<history::HistoryDb::Reader>> r = db->OpenReader();
    if (!r) return r.error();
    reader = std::move(*r);
  }
  Run run(options, std::move(tools), db.get(), std::move(reader));
  return run.Execute();
}

}  // namespace ktriage::triage
