// LoadRules: yaml-cpp nodes walked into Rule structs. Each reader takes a node and the rule's
// Diagnostics and either returns the typed value or records why it cannot.
#include "rules/rule_loader.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "analyzer/report/crash_report.h"
#include "rules/literal_prefilter.h"

namespace ktriage::rules {

std::string SourceLocation::ToString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "medium";
}

std::string Diagnostic::ToString() const {
  return where.ToString() + ": " + (error ? "error" : "warning") + ": " + (rule_id.empty() ? "" : "rule " + rule_id + ": ") +
         message;
}

bool LoadedRules::has_errors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.error; });
}

namespace {

namespace fs = std::filesystem;

// The report kinds a rule may name: every ReportKindName.
const std::set<std::string>& KnownKinds() {
  static const std::set<std::string> kinds = [] {
    std::set<std::string> k;
    for (int i = 0; i <= static_cast<int>(ReportKind::kOther); ++i) k.insert(ReportKindName(static_cast<ReportKind>(i)));
    return k;
  }();
  return kinds;
}

// Fields a summary may use besides captures: the report's (report-scoped rules) and the system's.
const std::set<std::string>& ReportFields() {
  static const std::set<std::string> f{"kind", "title", "guilty_frame", "comm", "release", "tainted", "cpu", "pid"};
  return f;
}

class Reader {
 public:
  Reader(std::string file, std::vector<Diagnostic>& out) : file_(std::move(file)), out_(out) {}

  SourceLocation At(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    return {file_, m.line + 1, m.column + 1};
  }
  void Fail(const YAML::Node& n, const std::string& message) { out_.push_back({At(n), rule_id_, message, true}); }
  void Warn(const YAML::Node& n, const std::string& message) { out_.push_back({At(n), rule_id_, message, false}); }
  void SetRule(const std::string& id) { rule_id_ = id; }
  const std::string& file() const { return file_; }

  // Unknown keys are errors: a misspelt condition would otherwise silently never hold.
  bool CheckKeys(const YAML::Node& map, std::initializer_list<const char*> allowed, const std::string& what) {
    if (!map.IsMap()) {
      Fail(map, what + " must be a mapping");
      return false;
    }
    bool ok = true;
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        std::string list;
        for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        Fail(kv.first, "unknown key '" + key + "' in " + what + " (known: " + list + ")");
        ok = false;
      }
    }
    return ok;
  }

  std::optional<std::string> String(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
      Fail(n, what + " must be a string");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::vector<std::string> Strings(const YAML::Node& n, const std::string& what) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
      for (const YAML::Node& item : n) {
        if (auto s = String(item, what + " entry")) out.push_back(*s);
      }
    } else {
      Fail(n, what + " must be a string or a list of strings");
    }
    return out;
  }

  template <typename T>
  std::optional<T> Number(const YAML::Node& n, const std::string& what) {
    T v{};
    if (!n.IsScalar() || !YAML::convert<T>::decode(n, v)) {
      Fail(n, what + " must be a number");
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> Bool(const YAML::Node& n, const std::string& what) {
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
      Fail(n, what + " must be true or false");
      return std::nullopt;
    }
    return v;
  }

  // A pattern, compiled here to report RE2's errors where the pattern is written.
  std::optional<Pattern> ReadPattern(const YAML::Node& n, const std::string& what) {
    auto s = String(n, what);
    if (!s) return std::nullopt;
    auto compiled = std::make_shared<re2::RE2>(*s, re2::RE2::Quiet);
    const re2::RE2& re = *compiled;
    if (!re.ok()) {
      std::string why = re.error();
      if (re2::RE2::PartialMatch(*s, R"(\\[1-9])")) {
        why += ": RE2 has no backreferences; capture both parts and compare them with `same:` in a sequence, or "
               "write the text out";
      } else if (s->find("(?=") != std::string::npos || s->find("(?!") != std::string::npos ||
                 s->find("(?<=") != std::string::npos || s->find("(?<!") != std::string::npos) {
        why += ": RE2 has no lookaround; match the text itself, or use `not:` with a second condition";
      }
      Fail(n, what + " /" + *s + "/ does not compile: " + why);
      return std::nullopt;
    }
    for (const auto& [name, index] : re.NamedCapturingGroups()) captures_.insert(name);
    return Pattern{*s, At(n), std::move(compiled)};
  }

  // A pattern run on every log line: line, sequence step and count patterns.
  std::optional<Pattern> ReadLinePattern(const YAML::Node& n, const std::string& what) {
    auto p = ReadPattern(n, what);
    if (p && !LiteralPrefilter::HasRequiredLiteral(p->regex)) {
      Warn(n, what + " /" + p->regex + "/ holds no literal text of 3 or more bytes that every match needs, so " +
                  "every line of every log runs the whole rule set's patterns (several times slower); spell " +
                  "one out, as in 'KB \\s*\\d+KB' for '\\d+KB\\s+\\d+KB'");
    }
    return p;
  }

  std::optional<Window> ReadWindow(const YAML::Node& n, const std::string& what) {
    if (!CheckKeys(n, {"seconds", "lines"}, what)) return std::nullopt;
    Window w;
    if (n["seconds"]) w.seconds = Number<double>(n["seconds"], what + " seconds");
    if (n["lines"]) w.lines = Number<uint64_t>(n["lines"], what + " lines");
    if (!w.seconds && !w.lines) {
      Fail(n, what + " needs seconds or lines");
      return std::nullopt;
    }
    if ((w.seconds && *w.seconds < 0)) Fail(n, what + " seconds must not be negative");
    return w;
  }

  std::optional<VersionRange> ReadRange(const YAML::Node& n, const std::string& what) {
    auto s = String(n, what);
    if (!s) return std::nullopt;
    Result<VersionRange> r = VersionRange::Parse(*s);
    if (!r.ok()) {
      Fail(n, what + ": " + r.error().message);
      return std::nullopt;
    }
    if (r->Empty()) Fail(n, what + " '" + *s + "' holds no version: the condition can never hold");
    return *r;
  }

  std::optional<Condition> ReadCondition(const YAML::Node& n) {
    if (!n.IsMap() || n.size() != 1) {
      Fail(n, "a condition is a mapping with one key: all, any, not, report, line, sequence, count or system");
      return std::nullopt;
    }
    const auto kv = *n.begin();
    const std::string key = kv.first.Scalar();
    const YAML::Node body = kv.second;
    Condition c;
    c.where = At(kv.first);
    if (key == "all" || key == "any") {
      c.kind = key == "all" ? Condition::Kind::kAll : Condition::Kind::kAny;
      if (!body.IsSequence() || body.size() == 0) {
        Fail(body, key + " needs a non-empty list of conditions");
        return std::nullopt;
      }
      bool ok = true;
      for (const YAML::Node& child : body) {
        if (auto cc = ReadCondition(child)) c.children.push_back(std::move(*cc));
        else ok = false;
      }
      if (!ok) return std::nullopt;
      return c;
    }
    if (key == "not") {
      c.kind = Condition::Kind::kNot;
      auto cc = ReadCondition(body);
      if (!cc) return std::nullopt;
      c.children.push_back(std::move(*cc));
      return c;
    }
    if (key == "report") return ReadReport(body, c);
    if (key == "line") {
      c.kind = Condition::Kind::kLine;
      LineCondition lc;
      if (body.IsScalar()) {
        auto p = ReadLinePattern(body, "line pattern");
        if (!p) return std::nullopt;
        lc.pattern = *p;
      } else {
        if (!CheckKeys(body, {"pattern", "within"}, "line")) return std::nullopt;
        if (!body["pattern"]) {
          Fail(body, "line needs a pattern");
          return std::nullopt;
        }
        auto p = ReadLinePattern(body["pattern"], "line pattern");
        if (!p) return std::nullopt;
        lc.pattern = *p;
        if (body["within"]) {
          lc.window = ReadWindow(body["within"], "line within");
          if (!lc.window) return std::nullopt;
        }
      }
      c.leaf = std::move(lc);
      return c;
    }
    if (key == "sequence") {
      c.kind = Condition::Kind::kSequence;
      if (!CheckKeys(body, {"steps", "within", "same"}, "sequence")) return std::nullopt;
      SequenceCondition sc;
      if (!body["steps"] || !body["steps"].IsSequence() || body["steps"].size() < 2) {
        Fail(body, "sequence needs steps: a list of at least two patterns");
        return std::nullopt;
      }
      std::vector<std::set<std::string>> step_captures;
      for (const YAML::Node& step : body["steps"]) {
        const std::set<std::string> before = captures_;
        captures_.clear();
        auto p = ReadLinePattern(step, "sequence step");
        step_captures.push_back(captures_);
        captures_.insert(before.begin(), before.end());
        if (!p) return std::nullopt;
        sc.steps.push_back(*p);
      }
      if (!body["within"]) {
        Fail(body, "sequence needs within: {seconds: N} or {lines: N}");
        return std::nullopt;
      }
      auto w = ReadWindow(body["within"], "sequence within");
      if (!w) return std::nullopt;
      sc.window = *w;
      if (body["same"]) sc.same = Strings(body["same"], "sequence same");
      for (const std::string& s : sc.same) {
        size_t in = 0;
        for (const auto& caps : step_captures) in += caps.count(s);
        if (in < 2) Fail(body["same"], "same: '" + s + "' is captured by " + std::to_string(in) +
                                           " step(s); it must be captured (?P<" + s + ">...) by at least two to compare");
      }
      c.leaf = std::move(sc);
      return c;
    }
    if (key == "count") {
      c.kind = Condition::Kind::kCount;
      if (!CheckKeys(body, {"pattern", "at_least", "by"}, "count")) return std::nullopt;
      CountCondition cc;
      if (!body["pattern"] || !body["at_least"]) {
        Fail(body, "count needs pattern and at_least");
        return std::nullopt;
      }
      const std::set<std::string> before = captures_;
      captures_.clear();
      auto p = ReadLinePattern(body["pattern"], "count pattern");
      const std::set<std::string> mine = captures_;
      captures_.insert(before.begin(), before.end());
      if (!p) return std::nullopt;
      cc.pattern = *p;
      auto n_at = Number<uint64_t>(body["at_least"], "count at_least");
      if (!n_at) return std::nullopt;
      if (*n_at == 0) Fail(body["at_least"], "count at_least 0 always holds; use 1 or more");
      cc.at_least = *n_at;
      if (body["by"]) cc.by = Strings(body["by"], "count by");
      for (const std::string& b : cc.by)
        if (!mine.count(b)) Fail(body["by"], "count by '" + b + "': the pattern has no (?P<" + b + ">...) capture");
      c.leaf = std::move(cc);
      return c;
    }
    if (key == "system") {
      c.kind = Condition::Kind::kSystem;
      if (!CheckKeys(body, {"release", "panic", "hardware", "vmcore", "modules", "state"}, "system")) return std::nullopt;
      SystemCondition sc;
      if (body["release"]) sc.release = ReadRange(body["release"], "system release");
      if (body["panic"]) sc.panic = ReadPattern(body["panic"], "system panic");
      if (body["hardware"]) sc.hardware = ReadPattern(body["hardware"], "system hardware");
      if (body["vmcore"]) sc.vmcore = Bool(body["vmcore"], "system vmcore");
      if (body["modules"]) sc.modules = Strings(body["modules"], "system modules");
      if (body["state"]) {
        sc.state = String(body["state"], "system state").value_or("");
        state_seen_ = true;
        if (!KnownStateFacts().count(sc.state)) {
          std::string list;
          for (const std::string& k : KnownStateFacts()) list += (list.empty() ? "" : ", ") + k;
          Fail(body["state"], "unknown state fact '" + sc.state + "': the condition can never hold (known: " + list + ")");
        }
      }
      c.leaf = std::move(sc);
      return c;
    }
    Fail(kv.first, "unknown condition '" + key + "' (known: all, any, not, report, line, sequence, count, system)");
    return std::nullopt;
  }

  std::optional<Condition> ReadReport(const YAML::Node& body, Condition& c) {
    c.kind = Condition::Kind::kReport;
    report_seen_ = true;
    if (!CheckKeys(body, {"kind", "title", "frames", "tainted", "comm", "release", "panicked"}, "report")) {
      return std::nullopt;
    }
    ReportCondition rc;
    if (body["kind"]) {
      rc.kinds = Strings(body["kind"], "report kind");
      for (const std::string& k : rc.kinds) {
        if (!KnownKinds().count(k)) {
          std::string list;
          for (const std::string& known : KnownKinds()) list += (list.empty() ? "" : ", ") + known;
          Fail(body["kind"], "unknown report kind '" + k + "': the condition can never hold (known: " + list + ")");
        }
      }
    }
    if (body["title"]) rc.title = ReadPattern(body["title"], "report title");
    if (body["comm"]) rc.comm = ReadPattern(body["comm"], "report comm");
    if (body["tainted"]) {
      if (auto t = String(body["tainted"], "report tainted")) {
        rc.tainted = *t;
        for (char flag : rc.tainted) {
          if (!(flag >= 'A' && flag <= 'Z')) Fail(body["tainted"], std::string("taint flag '") + flag + "' is not a capital letter (P, O, E, W, L...)");
        }
      }
    }
    if (body["release"]) rc.release = ReadRange(body["release"], "report release");
    if (body["panicked"]) rc.panicked = Bool(body["panicked"], "report panicked");
    if (body["frames"]) {
      const YAML::Node f = body["frames"];
      if (!CheckKeys(f, {"any", "sequence", "module", "top"}, "report frames")) return std::nullopt;
      FrameMatch fm;
      if (f["any"]) fm.any = Strings(f["any"], "frames any");
      if (f["sequence"]) fm.sequence = Strings(f["sequence"], "frames sequence");
      if (f["module"]) {
        if (auto m = String(f["module"], "frames module")) fm.module = *m;
      }
      if (f["top"]) {
        fm.top = Number<size_t>(f["top"], "frames top");
        if (fm.top && *fm.top == 0) Fail(f["top"], "frames top 0 looks at no frame: the condition can never hold");
      }
      if (fm.any.empty() && fm.sequence.empty() && fm.module.empty()) {
        Fail(f, "frames needs any, sequence or module");
      }
      for (const char* list : {"any", "sequence"}) {
        for (const std::string& name : list[0] == 'a' ? fm.any : fm.sequence) {
          if (name.find('.') != std::string::npos) {
            Warn(f[list], "'" + name + "': suffixes after '.' are ignored in frames; write the function name");
          }
        }
      }
      rc.frames = std::move(fm);
    }
    c.leaf = std::move(rc);
    return c;
  }

  // Captures and report conditions seen since the last reset: for the summary's fields.
  std::set<std::string> captures_;
  bool report_seen_ = false;
  bool state_seen_ = false;  // a system state condition: {state} and {state_count} are fields

 private:
  std::string file_;
  std::vector<Diagnostic>& out_;
  std::string rule_id_;
};

const re2::RE2& IdPattern() {
  static const re2::RE2 id(R"([a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+)");
  return id;
}

void ReadRule(const YAML::Node& n, Reader& r, LoadedRules& out, std::map<std::string, SourceLocation>& ids) {
  const size_t errors_before = std::count_if(out.diagnostics.begin(), out.diagnostics.end(), [](const Diagnostic& d) { return d.error; });
  Rule rule;
  rule.where = r.At(n);
  r.SetRule("");
  if (!n.IsMap()) {
    r.Fail(n, "a rule must be a mapping (id, title, severity, match...)");
    ++out.skipped;
    return;
  }
  if (n["id"]) {
    if (auto id = r.String(n["id"], "id")) rule.id = *id;
  }
  r.SetRule(rule.id);
  r.CheckKeys(n, {"id", "title", "severity", "description", "references", "remediation", "tags", "summary", "match",
                  "evidence", "tests"},
              "rule");
  for (const char* required : {"id", "title", "severity", "match"}) {
    if (!n[required]) r.Fail(n, std::string("missing '") + required + "'");
  }
  if (!rule.id.empty()) {
    if (!re2::RE2::FullMatch(rule.id, IdPattern())) {
      r.Fail(n["id"], "id '" + rule.id + "' must be dotted lowercase words, like net.veth.softlockup-skb-tx-hash");
    }
    if (auto [it, fresh] = ids.emplace(rule.id, rule.where); !fresh) {
      r.Fail(n["id"], "duplicate id '" + rule.id + "' (first at " + it->second.ToString() + ")");
    }
  }
  if (n["title"]) {
    if (auto t = r.String(n["title"], "title")) rule.title = *t;
  }
  if (n["severity"]) {
    if (auto s = r.String(n["severity"], "severity")) {
      static const std::map<std::string, Severity> kSeverities{{"info", Severity::kInfo},
                                                               {"low", Severity::kLow},
                                                               {"medium", Severity::kMedium},
                                                               {"high", Severity::kHigh},
                                                               {"critical", Severity::kCritical}};
      if (auto it = kSeverities.find(*s); it != kSeverities.end()) rule.severity = it->second;
      else r.Fail(n["severity"], "severity '" + *s + "' is not one of info, low, medium, high, critical");
    }
  }
  if (n["description"]) rule.description = r.String(n["description"], "description").value_or("");
  if (n["remediation"]) rule.remediation = r.String(n["remediation"], "remediation").value_or("");
  if (n["summary"]) rule.summary = r.String(n["summary"], "summary").value_or("");
  if (n["references"]) rule.references = r.Strings(n["references"], "references");
  if (n["tags"]) rule.tags = r.Strings(n["tags"], "tags");
  r.captures_.clear();
  r.report_seen_ = false;
  r.state_seen_ = false;
  if (n["match"]) {
    if (auto c = r.ReadCondition(n["match"])) rule.match = std::move(*c);
  }
  rule.report_scoped = r.report_seen_;
  if (n["evidence"]) {
    if (!n["evidence"].IsSequence()) {
      r.Fail(n["evidence"], "evidence must be a list of conditions");
    } else {
      for (const YAML::Node& e : n["evidence"]) {
        if (auto c = r.ReadCondition(e)) rule.evidence.push_back(std::move(*c));
      }
    }
  }
  // Every {field} of the summary must be something the rule can fill in.
  std::set<std::string> fields = r.captures_;
  fields.insert({"release", "panic", "count"});
  if (r.state_seen_) fields.insert({"state", "state_count"});
  if (rule.report_scoped) fields.insert(ReportFields().begin(), ReportFields().end());
  for (size_t i = rule.summary.find('{'); i != std::string::npos; i = rule.summary.find('{', i + 1)) {
    const size_t close = rule.summary.find('}', i);
    if (close == std::string::npos) break;
    const std::string field = rule.summary.substr(i + 1, close - i - 1);
    if (!fields.count(field)) {
      r.Fail(n["summary"], "summary uses {" + field + "}, which no pattern captures" +
                               (rule.report_scoped ? "" : " (report fields need a report condition)"));
    }
  }
  if (n["tests"]) {
    if (!n["tests"].IsSequence()) {
      r.Fail(n["tests"], "tests must be a list");
    } else {
      for (const YAML::Node& t : n["tests"]) {
        if (!r.CheckKeys(t, {"name", "log", "file", "state", "expect"}, "test")) continue;
        RuleTest test;
        test.where = r.At(t);
        if (t["name"]) test.name = r.String(t["name"], "test name").value_or("");
        if (t["log"]) test.log = r.String(t["log"], "test log").value_or("");
        if (t["file"]) test.file = r.String(t["file"], "test file").value_or("");
        if (test.log.empty() == test.file.empty()) r.Fail(t, "a test needs either log (inline text) or file");
        // state: [{fact: KIND, text: "..."}]: what a dump's deep analyses would have found.
        if (t["state"]) {
          if (!t["state"].IsSequence()) {
            r.Fail(t["state"], "test state is a list of {fact: KIND, text: ...}");
          } else {
            for (const YAML::Node& f : t["state"]) {
              if (!r.CheckKeys(f, {"fact", "text"}, "test state")) continue;
              StateFact fact{r.String(f["fact"], "test state fact").value_or(""), r.String(f["text"], "test state text").value_or("")};
              if (!KnownStateFacts().count(fact.kind)) r.Fail(f["fact"], "unknown state fact '" + fact.kind + "'");
              test.state.push_back(std::move(fact));
            }
          }
        }
        if (!test.file.empty() && !r.file().empty()) {
          const fs::path resolved = fs::path(r.file()).parent_path() / test.file;
          std::error_code ec;
          if (!fs::exists(resolved, ec)) r.Fail(t["file"], "test file " + resolved.string() + " does not exist");
        }
        if (!t["expect"]) {
          r.Fail(t, "a test needs expect: {findings: N}");
        } else if (r.CheckKeys(t["expect"], {"findings", "summary_contains"}, "test expect")) {
          if (t["expect"]["findings"]) test.findings = r.Number<uint64_t>(t["expect"]["findings"], "expect findings").value_or(0);
          else r.Fail(t["expect"], "expect needs findings: N");
          if (t["expect"]["summary_contains"]) {
            test.summary_contains = r.Strings(t["expect"]["summary_contains"], "expect summary_contains");
          }
        }
        rule.tests.push_back(std::move(test));
      }
    }
  }
  const size_t errors_after = std::count_if(out.diagnostics.begin(), out.diagnostics.end(), [](const Diagnostic& d) { return d.error; });
  if (errors_after > errors_before) {
    ++out.skipped;
    return;
  }
  out.rules.push_back(std::move(rule));
}

void LoadDocument(const std::string& text, const std::string& name, LoadedRules& out,
                  std::map<std::string, SourceLocation>& ids) {
  Reader r(name, out.diagnostics);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    out.diagnostics.push_back({{name, e.mark.line + 1, e.mark.column + 1}, "", "YAML syntax: " + e.msg, true});
    return;
  }
  if (root.IsNull()) return;  // an empty file holds no rules
  if (!r.CheckKeys(root, {"rules"}, "a rule file")) return;
  if (!root["rules"] || !root["rules"].IsSequence()) {
    r.Fail(root, "a rule file is `rules:` followed by a list of rules");
    return;
  }
  for (const YAML::Node& rule : root["rules"]) {
    try {
      ReadRule(rule, r, out, ids);
    } catch (const YAML::Exception& e) {
      out.diagnostics.push_back({{name, e.mark.line + 1, e.mark.column + 1}, "", e.msg, true});
      ++out.skipped;
    }
  }
}

void SortDiagnostics(LoadedRules& out) {
  std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.where.file, a.where.line, a.where.column) < std::tie(b.where.file, b.where.line, b.where.column);
  });
}

}  // namespace

LoadedRules LoadRules(const std::vector<std::string>& paths) {
  LoadedRules out;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string ext = it->path().extension().string();
        if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) found.push_back(it->path().string());
      }
      if (ec) out.diagnostics.push_back({{p, 0, 0}, "", "cannot read the directory: " + ec.message(), true});
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      out.diagnostics.push_back({{p, 0, 0}, "", "no such rule file or directory", true});
    }
  }
  std::map<std::string, SourceLocation> ids;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      out.diagnostics.push_back({{f, 0, 0}, "", "cannot open", true});
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    out.files.push_back(f);
    LoadDocument(text.str(), f, out, ids);
  }
  SortDiagnostics(out);
  return out;
}

LoadedRules LoadRulesFromText(const std::string& text, const std::string& name) {
  LoadedRules out;
  std::map<std::string, SourceLocation> ids;
  out.files.push_back(name);
  LoadDocument(text, name, out, ids);
  SortDiagnostics(out);
  return out;
}

namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::vector<std::string> SimilarRuleIds(const std::string& id, const std::vector<Rule>& rules) {
  std::vector<std::pair<size_t, std::string>> close;
  for (const Rule& r : rules) {
    const size_t d = EditDistance(id, r.id);
    const bool part = !id.empty() && (r.id.find(id) != std::string::npos || id.find(r.id) != std::string::npos);
    if (part || d <= std::max<size_t>(2, id.size() / 3)) close.emplace_back(part ? 0 : d, r.id);
  }
  std::sort(close.begin(), close.end());
  if (close.size() > 8) close.resize(8);
  std::vector<std::string> ids;
  for (auto& [distance, name] : close) ids.push_back(std::move(name));
  return ids;
}

}  // namespace ktriage::rules
