// RuleEngine and RuleScanner: one RE2::Set pass over the lines records events; reports are kept
// as the few facts conditions look at; Evaluate walks each rule's condition tree over them.
#include "rules/rule_engine.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <set>

#include "analyzer/report/machinery_frames.h"
#include "rules/literal_prefilter.h"

namespace ktriage::rules {
namespace {

// A line pattern keeps its first lines this many (whole-log conditions look at these), and the
// most recent ones this many more (reports are matched against the lines around them, which
// precede their evaluation by at most ScannerOptions::max_pending_reports reports); beyond, it
// keeps counting: counts stay exact and memory stays bounded on a log that repeats one message
// millions of times.
constexpr size_t kMaxEventsPerPattern = 1024;
constexpr size_t kMaxRecentEvents = 1024;
// And across every pattern of a rule set, the kept lines take at most this much memory each kind:
// hundreds of patterns that each match a line now and then would otherwise fill their caps only
// after gigabytes of log, and memory would grow until then.
constexpr size_t kMaxFirstEventBytes = 4 << 20;
constexpr size_t kMaxRecentEventBytes = 8 << 20;
// A window given in seconds falls back to lines when the log has no timestamps.
constexpr uint64_t kDefaultWindowLines = 200;
// Candidate lines a sequence condition may examine in all, whatever the log.
constexpr size_t kMaxSequenceTries = 1 << 20;
// Distinct capture values a pattern keeps exact counts of (for `count` with `by`).
constexpr size_t kMaxCaptureKeys = 1 << 16;

// The kernel treats '-' and '_' in module names alike.
std::string ModuleName(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string BaseFunction(std::string_view name) {
  // "tcp_write_timer.cold", "foo.isra.0", "bar.constprop.0": the function is before the dot.
  return std::string(name.substr(0, name.find('.')));
}

void ForEachCondition(const Condition& c, const std::function<void(const Condition&)>& f) {
  f(c);
  for (const Condition& child : c.children) ForEachCondition(child, f);
}

// The report kinds `c` can hold for, when it needs one; empty: any kind (or not knowable here).
// `all` needs what any of its children needs; `any` needs one of its children's, when each
// child needs some; `not` and the other leaves need no kind.
std::vector<std::string> RequiredKinds(const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::kReport:
      return std::get<ReportCondition>(c.leaf).kinds;
    case Condition::Kind::kAll:
      for (const Condition& child : c.children) {
        if (std::vector<std::string> kinds = RequiredKinds(child); !kinds.empty()) return kinds;
      }
      return {};
    case Condition::Kind::kAny: {
      std::vector<std::string> kinds;
      for (const Condition& child : c.children) {
        std::vector<std::string> k = RequiredKinds(child);
        if (k.empty()) return {};
        kinds.insert(kinds.end(), k.begin(), k.end());
      }
      return kinds;
    }
    default:
      return {};
  }
}

bool KindAllowed(const std::vector<std::string>& kinds, std::string_view kind) {
  return kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

}  // namespace

struct RuleEngine::CompiledPattern {
  std::shared_ptr<const re2::RE2> re;
  std::string regex;
  bool counted_by = false;  // a `count ... by` uses it: every match is tallied by its captures
  bool counted = false;     // a `count` uses it: every match counts
  bool recent = false;      // a report-scoped rule's line condition uses it: keep its latest lines
  std::vector<std::string> groups;  // names of the capturing groups, by group number - 1 ("" unnamed)
  bool named = false;
};

struct RuleEngine::Set {
  re2::RE2::Set set{re2::RE2::Options(), re2::RE2::UNANCHORED};
  std::unique_ptr<LiteralPrefilter> prefilter;  // lines without any required literal skip the Set
};

RuleEngine::RuleEngine() = default;
RuleEngine::~RuleEngine() = default;

int RuleEngine::PatternIndex(const std::string& regex) const {
  auto it = pattern_index_.find(regex);
  return it == pattern_index_.end() ? -1 : it->second;
}

Result<std::shared_ptr<const RuleEngine>> RuleEngine::Create(std::vector<Rule> rules) {
  std::shared_ptr<RuleEngine> engine(new RuleEngine());
  engine->set_ = std::make_unique<Set>();
  auto add = [&](const Pattern& p, const Rule& rule) -> Status {
    if (engine->pattern_index_.count(p.regex)) return Ok{};
    auto compiled = std::make_unique<CompiledPattern>();
    compiled->re = p.compiled ? p.compiled : std::make_shared<re2::RE2>(p.regex, re2::RE2::Quiet);
    compiled->regex = p.regex;
    if (!compiled->re->ok()) {
      return Error{p.where.ToString() + ": rule " + rule.id + ": bad pattern: " + compiled->re->error()};
    }
    compiled->groups.resize(static_cast<size_t>(compiled->re->NumberOfCapturingGroups()));
    for (const auto& [name, index] : compiled->re->NamedCapturingGroups()) {
      compiled->groups[static_cast<size_t>(index - 1)] = name;
      compiled->named = true;
    }
    std::string error;
    const int index = engine->set_->set.Add(p.regex, &error);
    if (index < 0) return Error{p.where.ToString() + ": rule " + rule.id + ": bad pattern: " + error};
    engine->pattern_index_[p.regex] = index;
    engine->patterns_.push_back(std::move(compiled));
    return Ok{};
  };
  for (const Rule& rule : rules) {
    std::vector<const Condition*> all;
    ForEachCondition(rule.match, [&](const Condition& c) { all.push_back(&c); });
    for (const Condition& e : rule.evidence) ForEachCondition(e, [&](const Condition& c) { all.push_back(&c); });
    for (const Condition* c : all) {
      Status s = Ok{};
      if (const auto* line = std::get_if<LineCondition>(&c->leaf)) s = add(line->pattern, rule);
      if (const auto* seq = std::get_if<SequenceCondition>(&c->leaf)) {
        for (const Pattern& p : seq->steps)
          if (s.ok()) s = add(p, rule);
      }
      if (const auto* count = std::get_if<CountCondition>(&c->leaf)) s = add(count->pattern, rule);
      if (!s.ok()) return s.error();
    }
  }
  if (!engine->patterns_.empty() && !engine->set_->set.Compile()) {
    return Error{"the rules' line patterns need more memory than RE2::Set allows"};
  }
  std::vector<std::string> regexes;
  for (const auto& p : engine->patterns_) regexes.push_back(p->regex);
  engine->set_->prefilter = std::make_unique<LiteralPrefilter>(regexes);
  for (const Rule& rule : rules) {
    std::vector<const Condition*> all;
    ForEachCondition(rule.match, [&](const Condition& c) { all.push_back(&c); });
    for (const Condition& e : rule.evidence) ForEachCondition(e, [&](const Condition& c) { all.push_back(&c); });
    for (const Condition* c : all) {
      if (const auto* count = std::get_if<CountCondition>(&c->leaf)) {
        CompiledPattern& p = *engine->patterns_[static_cast<size_t>(engine->PatternIndex(count->pattern.regex))];
        p.counted = true;
        p.counted_by = p.counted_by || !count->by.empty();
      }
      if (const auto* line = std::get_if<LineCondition>(&c->leaf); line && rule.report_scoped) {
        engine->patterns_[static_cast<size_t>(engine->PatternIndex(line->pattern.regex))]->recent = true;
        const Window w = line->window.value_or(Window{});
        engine->max_window_lines_ = std::max(engine->max_window_lines_, w.lines.value_or(kDefaultWindowLines));
        engine->max_window_seconds_ = std::max(engine->max_window_seconds_, w.seconds.value_or(0.0));
      }
    }
  }
  for (const Rule& rule : rules) engine->required_kinds_.push_back(RequiredKinds(rule.match));
  engine->rules_ = std::move(rules);
  return std::shared_ptr<const RuleEngine>(std::move(engine));
}

// ---------------------------------------------------------------------------------------------

namespace {

struct Event {
  uint64_t line = 0;
  std::optional<double> timestamp;
  std::string text;
  std::map<std::string, std::string> captures;
};

size_t Footprint(const Event& e) {
  size_t n = sizeof(Event) + e.text.capacity();
  for (const auto& [k, v] : e.captures) n += 64 + k.capacity() + v.capacity();
  return n;
}

struct PatternEvents {
  std::vector<Event> events;   // the first kMaxEventsPerPattern
  std::deque<Event> recent;    // the latest kMaxRecentEvents after those
  size_t recent_bytes = 0;
  uint64_t count = 0;
  // Every match counted by its captures, beyond the events kept (bounded by kMaxCaptureKeys).
  std::map<std::map<std::string, std::string>, uint64_t> by_captures;
};

struct ReportFacts {
  size_t index = 0;
  std::string kind;
  std::string title;
  std::string guilty_frame;
  std::string tainted;
  std::string comm;
  std::string release;
  std::optional<int> cpu, pid;
  std::optional<double> time_start, time_end;
  uint64_t line_start = 0, line_end = 0;
  bool panicked = false;
  std::string first_line;
  // Innermost first; a frame's inlined callees come before it, as they are deeper.
  std::vector<std::string> functions;
  std::vector<std::string> modules;  // per entry of `functions`
  // The frames that `top: N` counts, each as the [first, last) entries of `functions` it holds
  // (its inlined callees, then itself): a repeat of the frame before it (the faulting PC's line,
  // arm64's lr) folded, machinery (IsMachineryFrame: tracing, stack printing, delay loops) skipped.
  std::vector<std::pair<size_t, size_t>> ranked;
};

// What one evaluation collected: the lines that made it hold and the fields they captured.
struct Match {
  std::vector<EvidenceLine> evidence;
  std::map<std::string, std::string> fields;
  void Add(const Event& e) {
    evidence.push_back({e.line, e.text});
    for (const auto& [k, v] : e.captures) fields.emplace(k, v);
  }
  void Merge(const Match& other) {
    evidence.insert(evidence.end(), other.evidence.begin(), other.evidence.end());
    for (const auto& [k, v] : other.fields) fields.emplace(k, v);
  }
};

// Every kept line of a pattern in log order (the first ones, then the latest), until `f` says stop.
template <typename F>
bool ForEachEvent(const PatternEvents& pe, F&& f) {
  for (const Event& e : pe.events) {
    if (f(e)) return true;
  }
  for (const Event& e : pe.recent) {
    if (f(e)) return true;
  }
  return false;
}

bool InWindow(const Event& e, const ReportFacts& r, const Window& w) {
  if (w.seconds && e.timestamp && r.time_start) {
    const double end = r.time_end.value_or(*r.time_start);
    return *e.timestamp >= *r.time_start - *w.seconds && *e.timestamp <= end + *w.seconds;
  }
  const uint64_t n = w.lines.value_or(kDefaultWindowLines);
  return e.line + n >= r.line_start && e.line <= r.line_end + n;
}

bool StepInWindow(const Event& first, const Event& e, const Window& w) {
  if (e.line < first.line) return false;
  if (w.seconds && first.timestamp && e.timestamp) return *e.timestamp - *first.timestamp <= *w.seconds;
  return e.line - first.line <= w.lines.value_or(kDefaultWindowLines);
}

}  // namespace

struct RuleScanner::State {
  std::vector<PatternEvents> patterns;
  size_t first_bytes = 0, recent_bytes = 0;  // all patterns' kept lines
  size_t next_trim = 0;                      // the pattern whose oldest recent line goes next

  uint64_t last_line = 0;
  std::optional<double> last_timestamp;

  // Lets the recent lines go that no report still to be evaluated can look at: older than the
  // oldest held report (or, with none held, the current line) by more than the widest window.
  void TrimRecent(uint64_t window_lines, double window_seconds) {
    const uint64_t line = reports.empty() ? last_line : reports.front().line_start;
    const std::optional<double> time = reports.empty() ? last_timestamp : reports.front().time_start;
    for (PatternEvents& pe : patterns) {
      while (!pe.recent.empty()) {
        const Event& e = pe.recent.front();
        const bool lines_out = e.line + window_lines < line;
        const bool time_out = !e.timestamp || !time || *e.timestamp + window_seconds < *time;
        if (!lines_out || !time_out) break;
        DropOldestRecent(pe);
      }
    }
  }

  void DropOldestRecent(PatternEvents& pe) {
    const size_t bytes = Footprint(pe.recent.front());
    pe.recent_bytes -= bytes;
    recent_bytes -= bytes;
    pe.recent.pop_front();
  }
  std::deque<ReportFacts> reports;  // not evaluated yet
  size_t next_report = 0;           // the index of the next report
  std::vector<Finding> early;       // findings of reports evaluated early (without on_finding)
  std::vector<TraceStep> early_trace;
  SystemFacts system;
  std::set<std::string> modules;  // every module a report listed as linked in ('-' as '_')
  std::vector<int> hits;  // scratch for RE2::Set::Match
  std::vector<int> atoms;  // scratch for the prefilter
  LiteralPrefilter::Cache candidates;
};

RuleScanner::RuleScanner(std::shared_ptr<const RuleEngine> engine, ScannerOptions options)
    : engine_(std::move(engine)), options_(std::move(options)), state_(std::make_unique<State>()) {
  state_->patterns.resize(engine_->patterns_.size());
}
RuleScanner::~RuleScanner() = default;

void RuleScanner::OnLine(const LogLine& line) {
  if (engine_->patterns_.empty() || !line.kernel) return;
  state_->last_line = line.number;
  if (line.timestamp) state_->last_timestamp = line.timestamp;
  const re2::StringPiece text(line.text.data(), line.text.size());
  std::vector<int>& hits = state_->hits;
  const LiteralPrefilter& prefilter = *engine_->set_->prefilter;
  // Normally the prefilter names the few patterns whose literals the line holds, and only those
  // run; a rule set with a pattern that has no literal falls back to the Set on every line.
  const bool candidates_only = !prefilter.passes_everything();
  if (candidates_only) {
    prefilter.Candidates(line.text, state_->atoms, hits, state_->candidates);
  } else {
    hits.clear();
    if (!engine_->set_->set.Match(text, &hits)) return;
  }
  for (int index : hits) {
    PatternEvents& pe = state_->patterns[static_cast<size_t>(index)];
    const RuleEngine::CompiledPattern& p = *engine_->patterns_[static_cast<size_t>(index)];
    const bool first = pe.events.size() < kMaxEventsPerPattern && state_->first_bytes < kMaxFirstEventBytes;
    const bool keep = first || p.recent;
    // A pattern whose lines are all kept already and that no count needs: nothing to learn.
    if (!keep && !p.counted && !p.counted_by) continue;
    Event e;
    if (p.named) {
      // A candidate may not match after all; a Set hit always does.
      std::vector<re2::StringPiece> groups(p.groups.size() + 1);
      if (!p.re->Match(text, 0, text.size(), re2::RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
        continue;
      }
      for (size_t g = 0; g < p.groups.size(); ++g) {
        if (!p.groups[g].empty() && groups[g + 1].data()) e.captures[p.groups[g]] = std::string(groups[g + 1]);
      }
    } else if (candidates_only && !re2::RE2::PartialMatch(text, *p.re)) {
      continue;
    }
    ++pe.count;
    if (p.named) {
      if (p.counted_by) {
        auto slot = pe.by_captures.find(e.captures);
        if (slot != pe.by_captures.end()) ++slot->second;
        else if (pe.by_captures.size() < kMaxCaptureKeys) pe.by_captures.emplace(e.captures, 1);
      }
    }
    if (!keep) continue;
    e.line = line.number;
    e.timestamp = line.timestamp;
    e.text = std::string(line.text);
    const size_t bytes = Footprint(e);
    if (first) {
      state_->first_bytes += bytes;
      pe.events.push_back(std::move(e));
      continue;
    }
    if (pe.recent.size() == kMaxRecentEvents) state_->DropOldestRecent(pe);
    state_->recent_bytes += bytes;
    pe.recent_bytes += bytes;
    pe.recent.push_back(std::move(e));
    // Over the shared budget: the oldest recent lines go, pattern by pattern in turn.
    for (size_t tries = 0; state_->recent_bytes > kMaxRecentEventBytes && tries < 2 * state_->patterns.size(); ++tries) {
      PatternEvents& other = state_->patterns[state_->next_trim++ % state_->patterns.size()];
      if (!other.recent.empty()) state_->DropOldestRecent(other);
    }
  }
}

void RuleScanner::OnReport(const CrashReport& report) {
  ReportFacts r;
  r.index = state_->next_report++;
  r.kind = ReportKindName(report.kind);
  r.title = report.title;
  r.guilty_frame = report.guilty_frame;
  r.tainted = report.tainted;
  r.comm = report.comm;
  r.release = report.kernel_release;
  r.cpu = report.cpu;
  r.pid = report.pid;
  r.time_start = report.time_start;
  r.time_end = report.time_end;
  r.line_start = report.line_start;
  r.line_end = report.line_end;
  r.panicked = report.panicked;
  r.first_line = report.text.empty() ? report.title : report.text.front();
  for (const std::string& m : report.modules) state_->modules.insert(ModuleName(m));
  std::string previous;  // the function of the last ranked or folded frame
  for (const Frame& f : report.frames) {
    // "? func" entries are stale addresses the unwinder found on the stack, not callers.
    if (!f.reliable) continue;
    const size_t first = r.functions.size();
    for (const InlinedCall& call : f.inlined) {
      r.functions.push_back(BaseFunction(call.function));
      r.modules.push_back(f.module);
    }
    if (f.function.empty()) continue;
    r.functions.push_back(BaseFunction(f.function));
    r.modules.push_back(f.module);
    const std::string& function = r.functions.back();
    if (!IsMachineryFrame(function) && function != previous) r.ranked.push_back({first, r.functions.size()});
    previous = function;
  }
  state_->reports.push_back(std::move(r));
  while (state_->reports.size() > options_.max_pending_reports) EvaluateOldest();
  if (state_->next_report % 64 == 0) state_->TrimRecent(engine_->max_window_lines_, engine_->max_window_seconds_);
}

void RuleScanner::SetSystem(SystemFacts facts) { state_->system = std::move(facts); }

namespace {

class Evaluator {
 public:
  Evaluator(const RuleEngine& engine, const std::vector<PatternEvents>& patterns, const SystemFacts& system,
            const std::set<std::string>& modules, const std::function<int(const std::string&)>& index_of,
            std::vector<TraceStep>* trace)
      : patterns_(patterns), system_(system), modules_(modules), index_of_(index_of), trace_(trace) {
    (void)engine;
  }

  bool Eval(const Condition& c, const ReportFacts* report, Match& match, int depth = 0) {
    Match local;
    bool held = false;
    std::string what, detail;
    switch (c.kind) {
      case Condition::Kind::kAll: {
        what = "all";
        held = true;
        for (const Condition& child : c.children) {
          Match m;
          if (!Eval(child, report, m, depth + 1)) {
            held = false;
            if (!trace_) break;
          } else {
            local.Merge(m);
          }
        }
        break;
      }
      case Condition::Kind::kAny: {
        what = "any";
        for (const Condition& child : c.children) {
          Match m;
          if (Eval(child, report, m, depth + 1)) {
            if (!held) local.Merge(m);
            held = true;
            if (!trace_) break;
          }
        }
        break;
      }
      case Condition::Kind::kNot: {
        what = "not";
        Match ignored;
        held = !c.children.empty() && !Eval(c.children.front(), report, ignored, depth + 1);
        break;
      }
      case Condition::Kind::kReport:
        held = EvalReport(std::get<ReportCondition>(c.leaf), report, local, what, detail);
        break;
      case Condition::Kind::kLine:
        held = EvalLine(std::get<LineCondition>(c.leaf), report, local, what, detail);
        break;
      case Condition::Kind::kSequence:
        held = EvalSequence(std::get<SequenceCondition>(c.leaf), local, what, detail);
        break;
      case Condition::Kind::kCount:
        held = EvalCount(std::get<CountCondition>(c.leaf), local, what, detail);
        break;
      case Condition::Kind::kSystem:
        held = EvalSystem(std::get<SystemCondition>(c.leaf), report, local, what, detail);
        break;
    }
    if (trace_) {
      // Children were traced first; the parent goes before them.
      TraceStep step{depth, c.where, what, held, detail};
      trace_->insert(trace_->end() - static_cast<std::ptrdiff_t>(Descendants(c)), step);
    }
    if (held) match.Merge(local);
    return held;
  }

 private:
  // How many trace steps the children of `c` produced (one per condition below it).
  static size_t Descendants(const Condition& c) {
    size_t n = 0;
    for (const Condition& child : c.children) n += 1 + Descendants(child);
    return n;
  }

  const PatternEvents* EventsOf(const Pattern& p) const {
    const int index = index_of_(p.regex);
    return index < 0 ? nullptr : &patterns_[static_cast<size_t>(index)];
  }

  bool EvalReport(const ReportCondition& rc, const ReportFacts* r, Match& match, std::string& what,
                  std::string& detail) {
    what = "report";
    if (!r) {
      detail = "no report in scope";
      return false;
    }
    what += " #" + std::to_string(r->index) + " (" + r->title + ")";
    if (!KindAllowed(rc.kinds, r->kind)) {
      detail = "kind is " + r->kind;
      return false;
    }
    if (rc.title && !MatchInto(*rc.title, r->title, match)) {
      detail = "title does not match /" + rc.title->regex + "/";
      return false;
    }
    if (rc.comm && !MatchInto(*rc.comm, r->comm, match)) {
      detail = "comm '" + r->comm + "' does not match /" + rc.comm->regex + "/";
      return false;
    }
    for (char flag : rc.tainted) {
      if (r->tainted.find(flag) == std::string::npos) {
        detail = std::string("taint flags '") + r->tainted + "' lack " + flag;
        return false;
      }
    }
    if (rc.release && !rc.release->Contains(r->release)) {
      detail = "release '" + r->release + "' is outside " + rc.release->text();
      return false;
    }
    if (rc.panicked && *rc.panicked != r->panicked) {
      detail = r->panicked ? "the report panicked" : "the report did not panic";
      return false;
    }
    if (rc.frames && !EvalFrames(*rc.frames, *r, detail)) return false;
    match.evidence.push_back({r->line_start, r->first_line});
    return true;
  }

  static bool EvalFrames(const FrameMatch& fm, const ReportFacts& r, std::string& detail) {
    // The frames the keys look at: the top N ranked ones, or all.
    std::vector<size_t> considered;
    if (fm.top) {
      for (size_t k = 0; k < r.ranked.size() && k < *fm.top; ++k) {
        for (size_t i = r.ranked[k].first; i < r.ranked[k].second; ++i) considered.push_back(i);
      }
    } else {
      for (size_t i = 0; i < r.functions.size(); ++i) considered.push_back(i);
    }
    if (!fm.any.empty()) {
      bool found = false;
      for (size_t k = 0; k < considered.size() && !found; ++k)
        found = std::find(fm.any.begin(), fm.any.end(), r.functions[considered[k]]) != fm.any.end();
      if (!found) {
        std::vector<std::string> shown;
        for (size_t k = 0; k < considered.size() && k < 6; ++k) shown.push_back(r.functions[considered[k]]);
        detail = "no frame among " + Join(fm.any) + (fm.top ? " in the top " + std::to_string(*fm.top) : "") +
                 "; the stack: " + Join(shown);
        return false;
      }
    }
    if (!fm.module.empty()) {
      bool found = false;
      for (size_t k = 0; k < considered.size() && !found; ++k) found = r.modules[considered[k]] == fm.module;
      if (!found) {
        detail = "no frame in module " + fm.module;
        return false;
      }
    }
    if (!fm.sequence.empty()) {
      // Caller order: the last function named is the innermost, so walk the stack from the
      // innermost frame and the sequence from its end.
      size_t want = fm.sequence.size();
      size_t matched = 0;
      for (size_t k = 0; k < considered.size() && want > 0; ++k) {
        if (r.functions[considered[k]] == fm.sequence[want - 1]) {
          --want;
          ++matched;
        }
      }
      if (want > 0) {
        detail = "call sequence " + Join(fm.sequence) + " not in the stack (the " + std::to_string(matched) +
                 " innermost of it found)";
        return false;
      }
    }
    return true;
  }

  bool EvalLine(const LineCondition& lc, const ReportFacts* r, Match& match, std::string& what, std::string& detail) {
    what = "line /" + lc.pattern.regex + "/";
    const PatternEvents* pe = EventsOf(lc.pattern);
    if (!pe || pe->count == 0) {
      detail = "no line matches";
      return false;
    }
    const bool found = ForEachEvent(*pe, [&](const Event& e) {
      if (r && lc.window && !InWindow(e, *r, *lc.window)) return false;
      match.Add(e);
      return true;
    });
    if (found) return true;
    detail = std::to_string(pe->count) + " lines match, none within the window of report #" +
             std::to_string(r ? r->index : 0) + " (first at line " + std::to_string(pe->events.front().line) + ")";
    return false;
  }

  bool EvalSequence(const SequenceCondition& sc, Match& match, std::string& what, std::string& detail) {
    what = "sequence of " + std::to_string(sc.steps.size()) + " lines";
    std::vector<const PatternEvents*> steps;
    for (const Pattern& p : sc.steps) steps.push_back(EventsOf(p));
    if (steps.empty() || !steps[0]) return false;
    // Depth-first over each step's candidates, so that a later step can still pick another
    // line for an earlier one (the first "B" may carry the wrong id). Bounded: a pathological
    // log cannot make this quadratic beyond kMaxSequenceTries.
    size_t best = 0, tries = 0;
    std::vector<const Event*> chain;
    std::function<bool(size_t, const std::map<std::string, std::string>&)> extend =
        [&](size_t k, const std::map<std::string, std::string>& bound) -> bool {
      best = std::max(best, chain.size());
      if (k == steps.size()) return true;
      if (!steps[k]) return false;
      bool out_of_tries = false;
      const bool done = ForEachEvent(*steps[k], [&](const Event& e) {
        if (++tries > kMaxSequenceTries) {
          out_of_tries = true;
          return true;
        }
        if (e.line <= chain.back()->line || !StepInWindow(*chain.front(), e, sc.window)) return false;
        for (const std::string& key : sc.same) {
          auto have = bound.find(key);
          auto got = e.captures.find(key);
          if (have != bound.end() && got != e.captures.end() && have->second != got->second) return false;
        }
        std::map<std::string, std::string> next = bound;
        for (const auto& [key, value] : e.captures) next.emplace(key, value);
        chain.push_back(&e);
        if (extend(k + 1, next)) return true;
        chain.pop_back();
        return false;
      });
      return done && !out_of_tries;
    };
    const bool held = ForEachEvent(*steps[0], [&](const Event& first) {
      chain.assign(1, &first);
      return extend(1, first.captures);
    });
    if (held) {
      for (const Event* e : chain) match.Add(*e);
      return true;
    }
    detail = best == 0 ? "no line matches the first step"
                       : "at most " + std::to_string(best) + " of the " + std::to_string(steps.size()) +
                             " steps followed each other within the window with agreeing captures";
    return false;
  }

  bool EvalCount(const CountCondition& cc, Match& match, std::string& what, std::string& detail) {
    what = "count /" + cc.pattern.regex + "/ >= " + std::to_string(cc.at_least);
    const PatternEvents* pe = EventsOf(cc.pattern);
    if (!pe || pe->count == 0) {
      detail = "no line matches";
      return false;
    }
    if (cc.by.empty()) {
      if (pe->count < cc.at_least) {
        detail = "only " + std::to_string(pe->count) + " lines match";
        return false;
      }
      match.Add(pe->events.front());
      match.fields["count"] = std::to_string(pe->count);
      return true;
    }
    auto key_of = [&](const std::map<std::string, std::string>& captures) {
      std::vector<std::string> key;
      for (const std::string& b : cc.by) {
        auto it = captures.find(b);
        key.push_back(it == captures.end() ? "" : it->second);
      }
      return key;
    };
    // Exact counts from every match, not only the events kept.
    std::map<std::vector<std::string>, uint64_t> counts;
    for (const auto& [captures, n] : pe->by_captures) counts[key_of(captures)] += n;
    uint64_t most = 0;
    for (const auto& [group_key, n] : counts) {
      most = std::max(most, n);
      if (n < cc.at_least) continue;
      // A named reference: clang 14 cannot capture a structured binding.
      const std::vector<std::string>& key = group_key;
      // The first and last kept lines of that group show it.
      const Event* first = nullptr;
      const Event* last = nullptr;
      ForEachEvent(*pe, [&](const Event& e) {
        if (key_of(e.captures) != key) return false;
        if (!first) first = &e;
        last = &e;
        return false;
      });
      if (first) match.Add(*first);
      if (last && last != first) match.Add(*last);
      match.fields["count"] = std::to_string(n);
      for (size_t i = 0; i < cc.by.size(); ++i) match.fields.emplace(cc.by[i], key[i]);
      return true;
    }
    detail = "at most " + std::to_string(most) + " matching lines agree on " + Join(cc.by);
    return false;
  }

  bool EvalSystem(const SystemCondition& sc, const ReportFacts* r, Match& match, std::string& what,
                  std::string& detail) {
    what = "system";
    const std::string& release = !system_.release.empty() ? system_.release : (r ? r->release : system_.release);
    if (sc.release && !sc.release->Contains(release)) {
      detail = "release '" + release + "' is outside " + sc.release->text();
      return false;
    }
    if (sc.panic && !MatchInto(*sc.panic, system_.panic_message, match)) {
      detail = "panic message '" + system_.panic_message + "' does not match";
      return false;
    }
    if (sc.hardware && !MatchInto(*sc.hardware, system_.hardware, match)) {
      detail = "hardware '" + system_.hardware + "' does not match";
      return false;
    }
    for (const std::string& m : sc.modules) {
      if (!modules_.count(ModuleName(m))) {
        detail = "module " + m + " is not in any report's \"Modules linked in\" list";
        return false;
      }
    }
    if (sc.vmcore && *sc.vmcore != system_.vmcore) {
      detail = system_.vmcore ? "the input is a dump" : "the input is not a dump";
      return false;
    }
    if (!sc.state.empty()) {
      std::string texts;
      size_t n = 0;
      for (const StateFact& f : system_.state) {
        if (f.kind != sc.state) continue;
        texts += (n++ == 0 ? "" : "; ") + f.text;
      }
      if (n == 0) {
        detail = "no '" + sc.state + "' fact (only a dump whose memory was analysed has state facts)";
        return false;
      }
      match.fields.emplace("state", texts);
      match.fields.emplace("state_count", std::to_string(n));
    }
    return true;
  }

  // A report or system pattern; its named captures become summary fields.
  bool MatchInto(const Pattern& pattern, const std::string& text, Match& match) {
    const re2::RE2& re = Regex(pattern);
    std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
    if (!re.Match(text, 0, text.size(), re2::RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
      return false;
    }
    for (const auto& [name, index] : re.NamedCapturingGroups()) {
      if (groups[static_cast<size_t>(index)].data()) match.fields.emplace(name, std::string(groups[static_cast<size_t>(index)]));
    }
    return true;
  }

  // Report and system patterns: compiled by the loader; rules built in code compile here, once.
  const re2::RE2& Regex(const Pattern& pattern) {
    if (pattern.compiled) return *pattern.compiled;
    auto& slot = regexes_[pattern.regex];
    if (!slot) slot = std::make_unique<re2::RE2>(pattern.regex, re2::RE2::Quiet);
    return *slot;
  }

  static std::string Join(const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  const std::vector<PatternEvents>& patterns_;
  const SystemFacts& system_;
  const std::set<std::string>& modules_;
  const std::function<int(const std::string&)>& index_of_;
  std::vector<TraceStep>* trace_;
  std::map<std::string, std::unique_ptr<re2::RE2>> regexes_;
};

// Empty values are left out, so that the log's own release (say) still fills {release}.
void AddReportFields(const ReportFacts& r, std::map<std::string, std::string>& fields) {
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"kind", r.kind},
                                   {"title", r.title},
                                   {"guilty_frame", r.guilty_frame},
                                   {"comm", r.comm},
                                   {"release", r.release},
                                   {"tainted", r.tainted}}) {
    if (!value.empty()) fields.emplace(key, value);
  }
  if (r.cpu) fields.emplace("cpu", std::to_string(*r.cpu));
  if (r.pid) fields.emplace("pid", std::to_string(*r.pid));
}

}  // namespace

std::string RenderSummary(const std::string& summary, const std::map<std::string, std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < summary.size();) {
    if (summary[i] == '{') {
      size_t close = summary.find('}', i);
      if (close != std::string::npos) {
        auto it = fields.find(summary.substr(i + 1, close - i - 1));
        if (it != fields.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += summary[i++];
  }
  return out;
}

namespace {

bool EarlierEvidence(const Finding& a, const Finding& b) {
  const uint64_t la = a.evidence.empty() ? UINT64_MAX : a.evidence.front().line;
  const uint64_t lb = b.evidence.empty() ? UINT64_MAX : b.evidence.front().line;
  return la != lb ? la < lb : a.rule_id < b.rule_id;
}

// A rule that held, as a Finding: its evidence (the corroborating conditions' too), fields, summary.
Finding MakeFinding(const Rule& rule, const ReportFacts* report, Match& match, Evaluator& evaluator,
                    const SystemFacts& system) {
  Finding f;
  f.rule_id = rule.id;
  f.title = rule.title;
  f.severity = SeverityName(rule.severity);
  if (report) {
    f.report = report->index;
    AddReportFields(*report, match.fields);
  }
  if (!system.release.empty()) match.fields.emplace("release", system.release);
  if (!system.panic_message.empty()) match.fields.emplace("panic", system.panic_message);
  for (const Condition& e : rule.evidence) {
    Match extra;
    if (evaluator.Eval(e, report, extra)) {
      f.corroborated = true;
      match.Merge(extra);
    }
  }
  std::sort(match.evidence.begin(), match.evidence.end(),
            [](const EvidenceLine& a, const EvidenceLine& b) { return a.line < b.line; });
  match.evidence.erase(std::unique(match.evidence.begin(), match.evidence.end()), match.evidence.end());
  f.evidence = std::move(match.evidence);
  f.fields = std::move(match.fields);
  f.summary = RenderSummary(rule.summary.empty() ? rule.title : rule.summary, f.fields);
  return f;
}

}  // namespace

void RuleScanner::EvaluateOldest() {
  const ReportFacts r = std::move(state_->reports.front());
  state_->reports.pop_front();
  const std::function<int(const std::string&)> index_of = [&](const std::string& x) { return engine_->PatternIndex(x); };
  Evaluator evaluator(*engine_, state_->patterns, state_->system, state_->modules, index_of, nullptr);
  for (size_t i = 0; i < engine_->rules().size(); ++i) {
    const Rule& rule = engine_->rules()[i];
    if (!rule.report_scoped) continue;
    if (rule.id == options_.explain_rule) {
      Evaluator tracer(*engine_, state_->patterns, state_->system, state_->modules, index_of, &state_->early_trace);
      Match m;
      state_->early_trace.push_back({0, rule.where, "report #" + std::to_string(r.index) + ": " + r.title, false, ""});
      const size_t at = state_->early_trace.size() - 1;
      state_->early_trace[at].held = tracer.Eval(rule.match, &r, m, 1);
    }
    if (!KindAllowed(engine_->required_kinds_[i], r.kind)) continue;
    Match match;
    if (!evaluator.Eval(rule.match, &r, match)) continue;
    Finding f = MakeFinding(rule, &r, match, evaluator, state_->system);
    if (options_.on_finding) options_.on_finding(std::move(f));
    else state_->early.push_back(std::move(f));
  }
}

std::vector<Finding> RuleScanner::Evaluate() const {
  std::vector<Finding> findings = state_->early;
  const std::function<int(const std::string&)> index_of = [&](const std::string& r) { return engine_->PatternIndex(r); };
  Evaluator evaluator(*engine_, state_->patterns, state_->system, state_->modules, index_of, nullptr);
  for (size_t i = 0; i < engine_->rules().size(); ++i) {
    const Rule& rule = engine_->rules()[i];
    if (rule.report_scoped) {
      for (const ReportFacts& r : state_->reports) {
        if (!KindAllowed(engine_->required_kinds_[i], r.kind)) continue;
        Match match;
        if (evaluator.Eval(rule.match, &r, match)) findings.push_back(MakeFinding(rule, &r, match, evaluator, state_->system));
      }
    } else {
      Match match;
      if (evaluator.Eval(rule.match, nullptr, match)) {
        findings.push_back(MakeFinding(rule, nullptr, match, evaluator, state_->system));
      }
    }
  }
  std::stable_sort(findings.begin(), findings.end(), EarlierEvidence);
  return findings;
}

std::vector<TraceStep> RuleScanner::Explain(const std::string& rule_id) const {
  std::vector<TraceStep> trace;
  const std::function<int(const std::string&)> index_of = [&](const std::string& r) { return engine_->PatternIndex(r); };
  Evaluator evaluator(*engine_, state_->patterns, state_->system, state_->modules, index_of, &trace);
  for (const Rule& rule : engine_->rules()) {
    if (rule.id != rule_id) continue;
    if (rule.report_scoped) {
      if (rule_id == options_.explain_rule) trace = state_->early_trace;
      if (state_->next_report == 0) trace.push_back({0, rule.where, "report-scoped rule", false, "the input has no report"});
      for (const ReportFacts& r : state_->reports) {
        Match m;
        trace.push_back({0, rule.where, "report #" + std::to_string(r.index) + ": " + r.title, false, ""});
        const size_t at = trace.size() - 1;
        trace[at].held = evaluator.Eval(rule.match, &r, m, 1);
      }
    } else {
      Match m;
      evaluator.Eval(rule.match, nullptr, m, 0);
    }
  }
  return trace;
}

}  // namespace ktriage::rules
