// Segmentation follows the console semantics syzkaller relies on (a report is the lines of its
// printk context from its first line until the next report starts), extended for streaming:
// several reports may be open at once, one per context, and each closes on its own.
#include "analyzer/report/report_segmenter.h"

#include <algorithm>
#include <set>

#include "analyzer/report/frame_parser.h"
#include "analyzer/report/report_catalog_internal.h"
#include "base/text.h"

namespace ktriage {

struct ReportSegmenter::Open {
  RawReport raw;
  StreamKey key;
  bool console = false;          // no printk caller id: lines of every CPU share this stream
  bool title_frozen = false;     // the next report started: later lines are not title text
  bool skip_text = false;
  int text_lines = 0;
  bool cpu_traceback = false;    // "Sending NMI from CPU": other CPUs' backtraces belong here
  // Streams whose lines belong to this report for now: the CPUs whose NMI backtraces it asked for.
  std::vector<StreamKey> adopted;
  std::optional<double> last_ts;
  size_t quiet = 0;              // lines since the last one that looked like part of a report
  size_t last_meaningful = 0;
  uint64_t fed_seq = 0;          // when this report last received a line (interleaving router)
  std::set<std::string> sections;
  int header_cpu = -1;
};

namespace {

bool Contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

// The section of a report a line belongs to, for telling interleaved reports apart.
std::string SectionOf(std::string_view line) {
  std::string_view t = TrimLeft(line);
  if (ConsumePrefix(t, "Modules linked in")) return "modules";
  if (Contains(line, "CPU: ") && Contains(line, " PID: ")) return "cpu";
  if (ConsumePrefix(t, "Hardware name")) return "hw";
  if (Contains(line, "Call Trace") || Contains(line, "Call trace:") || Contains(line, "<stack trace") || line == "@[" ||
      line.ends_with("([kernel.kallsyms])"))
    return "trace";
  if (auto m = ParseContextMarker(line)) return std::string(Trim(line));
  size_t colon = t.find(':');
  if (colon != std::string_view::npos && colon <= 8) {
    std::string_view name = t.substr(0, colon);
    bool reg = !name.empty();
    for (char c : name) reg = reg && ((c >= 'A' && c <= 'Z') || IsDigit(c) || c == ' ');
    if (reg) return std::string(name);  // RIP, RSP, RAX, R13, FS, CS, CR2, Code ...
  }
  for (std::string_view p : {"irq event stamp", "hardirqs last", "softirqs last"})
    if (ConsumePrefix(t, p)) return std::string(p);
  return {};
}

int HeaderCpu(std::string_view line) {
  size_t at = line.find("CPU#");
  if (at == std::string_view::npos) return -1;
  std::string_view s = line.substr(at + 4);
  auto v = ConsumeDecimal(s);
  return v && *v < 1u << 20 ? static_cast<int>(*v) : -1;
}

int CpuLineCpu(std::string_view line) {
  size_t at = line.find("CPU: ");
  if (at == std::string_view::npos) return -1;
  std::string_view s = line.substr(at + 5);
  auto v = ConsumeDecimal(s);
  return v && *v < 1u << 20 ? static_cast<int>(*v) : -1;
}

bool LooksMeaningful(std::string_view line) {
  if (line.empty()) return false;
  if (line[0] == ' ' || line[0] == '\t') return true;
  if (ParseContextMarker(line)) return true;
  size_t sp = line.find(' ');
  std::string_view first = line.substr(0, sp);
  return !first.empty() && first.back() == ':';
}

}  // namespace

ReportSegmenter::StreamKey ReportSegmenter::KeyOf(const LogLine& l) {
  if (l.caller.known()) return {static_cast<uint8_t>(l.caller.kind == Caller::Kind::kThread ? 2 : 3), l.caller.id};
  return {static_cast<uint8_t>(l.timestamp ? 1 : 0), 0};
}

ReportSegmenter::ReportSegmenter(std::shared_ptr<const ReportCatalog> catalog, SegmenterOptions options, Sink sink)
    : catalog_(std::move(catalog)), options_(options), sink_(std::move(sink)) {}

ReportSegmenter::~ReportSegmenter() = default;

void ReportSegmenter::Append(Open& r, const LogLine& line, bool is_start) {
  if (r.raw.lines.size() >= options_.max_report_lines) {
    r.raw.cut = true;
    return;
  }
  ReportLine rl;
  rl.text = std::string(line.text);
  rl.number = line.number;
  rl.timestamp = line.timestamp;
  // One parse serves every question asked of the line: is it an unreliable frame, does it look
  // like report content, and (ParseReportFields) which frame it is. The first line of a report is
  // its header, never one of its frames for the segmenter.
  if (std::optional<Frame> parsed = ParseFrameLine(line.text)) rl.frame = std::make_unique<Frame>(std::move(*parsed));
  const Frame* frame = is_start ? nullptr : rl.frame.get();
  if (frame && !Contains(line.text, "<EOI>")) rl.unreliable_frame = !frame->reliable;
  const size_t index = r.raw.lines.size();
  r.raw.lines.push_back(std::move(rl));
  const std::string_view text = line.text;
  if (line.timestamp) r.last_ts = line.timestamp;
  if (is_start || frame || LooksMeaningful(text)) {
    r.quiet = 0;
    r.last_meaningful = index;
  } else {
    ++r.quiet;
  }
  if (Contains(text, "Sending NMI from CPU")) r.cpu_traceback = true;
  if (!is_start && catalog_->IsInfoWithStack(text)) r.title_frozen = true;
  if (r.title_frozen || r.raw.lines.back().unreliable_frame) return;
  ++r.text_lines;
  bool skip = r.skip_text;
  if (Contains(text, "Disabling lock debugging due to kernel taint")) {
    skip = true;
  } else if (r.text_lines > 22 && (Contains(text, "Kernel panic - not syncing") ||
                                   Contains(text, "WARNING: possible circular locking dependency detected"))) {
    // A panic_on_warn panic or a lockdep splat caused by the report itself repeats the same stack.
    r.skip_text = true;
    skip = true;
  }
  if (!is_start && skip) return;
  r.raw.title_line_indexes.push_back(index);
}

void ReportSegmenter::Close(size_t index, bool went_quiet) {
  std::unique_ptr<Open> r = std::move(open_[index]);
  open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(index));
  // A report that ended by going quiet: the lines after its last report-like line belong to the
  // surrounding log, not to it.
  if (went_quiet && r->quiet > 0 && r->last_meaningful + 1 < r->raw.lines.size()) {
    r->raw.lines.resize(r->last_meaningful + 1);
    auto& t = r->raw.title_line_indexes;
    t.erase(std::remove_if(t.begin(), t.end(), [&](size_t i) { return i > r->last_meaningful; }), t.end());
  }
  if (recent_) Emit(std::move(recent_->raw));
  recent_closed_at_line_ = r->raw.lines.empty() ? 0 : r->raw.lines.back().number;
  recent_ = std::move(r);
}

void ReportSegmenter::MakeRoom(StreamKey key) {
  auto least_recently_fed = [&](bool same_key_only) {
    size_t oldest = SIZE_MAX;
    for (size_t i = 0; i < open_.size(); ++i) {
      if (same_key_only && open_[i]->key != key) continue;
      if (oldest == SIZE_MAX || open_[i]->fed_seq < open_[oldest]->fed_seq) oldest = i;
    }
    return oldest;
  };
  for (;;) {
    size_t same_key = 0;
    for (const auto& r : open_) same_key += r->key == key;
    if (same_key >= options_.max_open_console_reports && same_key > 0) {
      Close(least_recently_fed(true), false);
    } else if (open_.size() >= options_.max_open_reports && !open_.empty()) {
      Close(least_recently_fed(false), false);
    } else {
      return;
    }
  }
}

namespace {

// Panic messages that are the consequence of a report printed just before (oops=panic,
// softlockup_panic, hung_task_panic, panic_on_warn, ...), as opposed to a panic of its own
// such as "sysrq triggered crash" or "VFS: Unable to mount root fs".
bool IsConsequencePanic(std::string_view message) {
  for (std::string_view m : {"Fatal exception", "softlockup: hung tasks", "hung_task: blocked tasks", "panic_on_warn set",
                             "Hard LOCKUP", "hard LOCKUP", "Out of memory", "System is deadlocked on memory",
                             "RCU Stall", "Fatal machine check", "Machine check", "stack-protector",
                             "corrupted stack end", "Attempted to kill init", "kernel stack overflow", "double fault",
                             "Fatal hardware error", "Timeout: Not all CPUs entered broadcast exception handler"})
    if (message.find(m) != std::string_view::npos) return true;
  return false;
}

// Reports after which an unrelated panic is common: they do not stop the machine by themselves.
bool IsInformational(ReportKind k) {
  return k == ReportKind::kNetdevUnregisterWait || k == ReportKind::kFtraceStack || k == ReportKind::kNmiBacktrace ||
         k == ReportKind::kNetdevWatchdog || k == ReportKind::kPageAllocFailure;
}

}  // namespace

bool ReportSegmenter::AttachPanic(const LogLine& line, StreamKey key) {
  std::string_view text = line.text;
  size_t at = text.find("Kernel panic - not syncing: ");
  std::string message(Trim(text.substr(at + 28)));
  const bool consequence = IsConsequencePanic(message);
  auto eligible = [&](const Open& r) {
    return consequence || !IsInformational(catalog_->cls(r.raw.class_index).source.default_kind);
  };
  Open* target = nullptr;
  for (auto& r : open_)
    if (r->key == key && eligible(*r)) target = r.get();
  bool same_context = target != nullptr;
  if (!target)
    for (auto& r : open_)
      if (eligible(*r)) target = r.get();
  const bool recent_in_time = !(line.timestamp && recent_ && recent_->last_ts &&
                                 *line.timestamp - *recent_->last_ts > options_.quiet_seconds);
  if (!target && recent_ && recent_in_time && line.number - recent_closed_at_line_ <= 50 && eligible(*recent_)) {
    target = recent_.get();
    same_context = recent_->key == key;
  }
  if (!target) return false;
  if (!target->raw.panicked) {
    target->raw.panicked = true;
    target->raw.panic_message = message;
  }
  if (same_context) Append(*target, line, false);
  return true;
}

size_t ReportSegmenter::Route(const LogLine& line, StreamKey key) {
  // A CPU answering another CPU's NMI backtrace request prints into that report.
  for (size_t i = 0; i < open_.size(); ++i)
    for (const StreamKey& k : open_[i]->adopted)
      if (k == key) return i;
  // Almost always zero or one report is open for a stream: find it without allocating.
  size_t first = SIZE_MAX, count = 0;
  for (size_t i = 0; i < open_.size(); ++i)
    if (open_[i]->key == key && count++ == 0) first = i;
  if (count == 0 && line.caller.kind == Caller::Kind::kCpu) {
    for (size_t i = 0; i < open_.size(); ++i)
      if (open_[i]->cpu_traceback && count++ == 0) first = i;
  }
  if (count <= 1) return first;
  std::vector<size_t> candidates;
  for (size_t i = 0; i < open_.size(); ++i)
    if (open_[i]->key == key) candidates.push_back(i);
  // Several reports share the console: route by the section the line belongs to, then by turns.
  std::string section = SectionOf(line.text);
  if (section == "cpu") {
    int cpu = CpuLineCpu(line.text);
    for (size_t i : candidates)
      if (open_[i]->header_cpu == cpu && cpu >= 0) return i;
  }
  if (!section.empty()) {
    for (size_t i : candidates)
      if (!open_[i]->sections.count(section)) return i;
  }
  size_t best = SIZE_MAX;
  bool best_in_trace = false;
  for (size_t i : candidates) {
    bool in_trace = open_[i]->sections.count("trace") > 0;
    if (best == SIZE_MAX || (in_trace && !best_in_trace) ||
        (in_trace == best_in_trace && open_[i]->fed_seq < open_[best]->fed_seq)) {
      best = i;
      best_in_trace = in_trace;
    }
  }
  return best;
}

void ReportSegmenter::Feed(const LogLine& line) {
  if (!line.kernel) return;
  static_assert(sizeof(size_t) >= 4);
  if (recent_ && line.number - recent_closed_at_line_ > 50) {
    Emit(std::move(recent_->raw));
    recent_.reset();
  }
  Flush();
  const StreamKey key = KeyOf(line);
  const std::string_view text = line.text;

  // Reports end when their stream goes quiet.
  for (size_t i = open_.size(); i-- > 0;) {
    Open& r = *open_[i];
    if (r.key != key && line.caller.known()) continue;
    bool quiet_time = r.last_ts && line.timestamp && *line.timestamp - *r.last_ts > options_.quiet_seconds;
    bool quiet_lines = r.key == key && r.quiet >= options_.quiet_lines;
    if (quiet_time || quiet_lines) Close(i, /*went_quiet=*/true);
  }

  // Every header, "Kernel panic" included, shows up in the hits; most lines have none.
  const uint64_t hits = catalog_->HeaderHits(text);
  // "---[ end Kernel panic - not syncing: ... ]---" closes the panic's own output: not a new panic.
  if (hits && Contains(text, "Kernel panic - not syncing: ") && !Contains(text, "---[ end Kernel panic") &&
      AttachPanic(line, key))
    return;

  const int cls = hits ? catalog_->FirstStart(text, hits) : -1;
  if (cls >= 0) {
    // "NMI backtrace for cpu N" printed by CPU N because another CPU's report asked for it
    // ("Sending NMI from CPU"): with caller ids its lines come from CPU N's stream, but they
    // belong to the asking report, until CPU N starts a report of its own.
    if (line.caller.kind == Caller::Kind::kCpu && Contains(text, "NMI backtrace for cpu")) {
      for (auto& r : open_) {
        if (r->key == key || !r->cpu_traceback) continue;
        r->adopted.push_back(key);
        Append(*r, line, false);
        r->fed_seq = line.number;
        return;
      }
    }
    for (auto& r : open_) std::erase(r->adopted, key);
    MakeRoom(key);
    size_t same = SIZE_MAX;
    for (size_t i = 0; i < open_.size(); ++i)
      if (open_[i]->key == key) same = i;
    // A report that does not stop the machine by itself is not continued by the next one (an
    // unrelated panic after "unregister_netdevice: waiting"), except by its own repeats.
    // perf script heads every line of a callchain: after a line that is not a frame (the next
    // sample's event line, a blank line) the heading begins the next callchain.
    const bool next_stack = same != SIZE_MAX && !open_[same]->raw.lines.empty() &&
                            !open_[same]->raw.lines.back().frame && SectionOf(text) == "trace";
    if (same != SIZE_MAX && !next_stack && catalog_->IsContinuationStart(text) &&
        (open_[same]->raw.class_index == cls ||
         !IsInformational(catalog_->cls(open_[same]->raw.class_index).source.default_kind))) {
      Append(*open_[same], line, false);
      open_[same]->fed_seq = line.number;
      return;
    }
    bool interleaving = false;
    if (same != SIZE_MAX) {
      const Open& prev = *open_[same];
      // Two CPUs reporting the same kind of problem at once: the earlier report has not even
      // reached its stack yet. Keep both open and mark them, since the split is a heuristic.
      interleaving = prev.console && prev.raw.class_index == cls && !prev.sections.count("trace");
    }
    // The console stream's title text ends where any other report begins.
    for (size_t i = 0; i < open_.size(); ++i)
      if (open_[i]->console && !(interleaving && i == same)) open_[i]->title_frozen = true;
    auto r = std::make_unique<Open>();
    r->raw.class_index = cls;
    r->raw.caller = line.caller;
    r->key = key;
    r->console = !line.caller.known();
    r->header_cpu = HeaderCpu(text);
    if (interleaving) {
      // From now on lines are routed by section: record the sections the earlier report has.
      Open& prev = *open_[same];
      for (const auto& l : prev.raw.lines) {
        std::string section = SectionOf(l.text);
        if (!section.empty()) prev.sections.insert(section);
      }
      open_[same]->raw.interleaved = true;
      r->raw.interleaved = true;
    } else if (same != SIZE_MAX) {
      Close(same, false);
    }
    // A tracing tool's stack starts at its heading: the report has its trace from the first line.
    if (SectionOf(text) == "trace") r->sections.insert("trace");
    Append(*r, line, true);
    r->fed_seq = line.number;
    open_.push_back(std::move(r));
    return;
  }

  const size_t idx = Route(line, key);
  if (idx == SIZE_MAX) return;
  Open& r = *open_[idx];
  Append(r, line, false);
  r.fed_seq = line.number;
  // Sections matter only to tell interleaved reports apart; the rest only need "trace".
  if (r.raw.interleaved) {
    std::string section = SectionOf(text);
    if (!section.empty()) r.sections.insert(section);
  } else if (text.find("Call ") != std::string_view::npos &&
             (Contains(text, "Call Trace") || Contains(text, "Call trace:"))) {
    r.sections.insert("trace");
  }
  const std::string_view trimmed = TrimLeft(text);
  if (!trimmed.empty() && trimmed[0] == '-' && (Contains(text, "---[ end trace") || Contains(text, "---[ end Kernel panic")))
    Close(idx, false);
}

void ReportSegmenter::Emit(RawReport&& raw) {
  const uint64_t start = raw.lines.empty() ? 0 : raw.lines.front().number;
  finished_.emplace(start, std::move(raw));
}

void ReportSegmenter::Flush(bool all) {
  if (finished_.empty()) return;
  uint64_t oldest_unfinished = UINT64_MAX;
  if (!all) {
    for (const auto& r : open_)
      if (!r->raw.lines.empty()) oldest_unfinished = std::min(oldest_unfinished, r->raw.lines.front().number);
    if (recent_ && !recent_->raw.lines.empty())
      oldest_unfinished = std::min(oldest_unfinished, recent_->raw.lines.front().number);
  }
  while (!finished_.empty() && finished_.begin()->first < oldest_unfinished) {
    sink_(std::move(finished_.begin()->second));
    finished_.erase(finished_.begin());
  }
}

void ReportSegmenter::Finish() {
  while (!open_.empty()) Close(0, false);
  if (recent_) {
    Emit(std::move(recent_->raw));
    recent_.reset();
  }
  Flush(/*all=*/true);
}

}  // namespace ktriage
