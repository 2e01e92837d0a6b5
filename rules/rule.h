// Rule: one known problem as the kernel team writes it (docs/rules.md), parsed from YAML into
// typed conditions; nothing downstream looks at YAML again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rules/state_fact.h"
#include "rules/version_range.h"

namespace re2 {
class RE2;
}

namespace ktriage::rules {

// Where a rule's text came from, for lint messages and `rules explain`.
struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string ToString() const;  // "rules/net.yaml:12:7"
};

enum class Severity : uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
const char* SeverityName(Severity s);

// A line pattern: RE2 syntax, named captures become summary fields and correlation keys.
struct Pattern {
  std::string regex;
  SourceLocation where;
  std::shared_ptr<const re2::RE2> compiled;  // by the loader, which had to compile it to lint it
};

// How close to the report (or to the first step of a sequence) a line must be.
struct Window {
  std::optional<double> seconds;
  std::optional<uint64_t> lines;
};

struct FrameMatch {
  std::vector<std::string> any;       // one of these functions (suffixes like .isra.0 ignored)
  std::vector<std::string> sequence;  // these functions in caller order (outermost first), gaps allowed
  std::string module;                 // a frame of this module ("veth")
  std::optional<size_t> top;          // only the first N frames count (the stuck or faulting ones)
};

// Conditions on one crash report; every field given must hold.
struct ReportCondition {
  std::vector<std::string> kinds;     // ReportKindName values; empty: any kind
  std::optional<Pattern> title;
  std::optional<FrameMatch> frames;
  std::string tainted;                // every letter must be among the report's taint flags
  std::optional<Pattern> comm;
  std::optional<VersionRange> release;
  std::optional<bool> panicked;
};

// A line matching `pattern`: anywhere in the log, or within `window` of the report a
// report-scoped rule is looking at.
struct LineCondition {
  Pattern pattern;
  std::optional<Window> window;
};

// Lines matching `steps` in this order, all within `window` of the first, whose captures named
// in `same` agree (the PF's NACK, then the VF's errors, for the same VF).
struct SequenceCondition {
  std::vector<Pattern> steps;
  Window window;
  std::vector<std::string> same;
};

// A line matching `pattern` at least `at_least` times; with `by`, that many times for one value
// of those captures (the same device).
struct CountCondition {
  Pattern pattern;
  uint64_t at_least = 1;
  std::vector<std::string> by;
};

// Facts of the machine: from a dump's VMCOREINFO and panic, or from the log's own lines.
struct SystemCondition {
  std::optional<VersionRange> release;
  std::optional<Pattern> panic;      // the panic message ("Kernel panic - not syncing: ...")
  std::optional<Pattern> hardware;
  std::optional<bool> vmcore;        // the input is (or is not) a crash dump
  std::vector<std::string> modules;  // all loaded, as the reports' "Modules linked in:" list them
  std::string state;                 // a StateFact kind the dump's deep analyses found ("netns-pinned")
};

struct Condition;
using ConditionList = std::vector<Condition>;

struct Condition {
  enum class Kind : uint8_t { kAll, kAny, kNot, kReport, kLine, kSequence, kCount, kSystem };
  Kind kind = Kind::kAll;
  SourceLocation where;
  ConditionList children;  // all/any; not has one
  std::variant<std::monostate, ReportCondition, LineCondition, SequenceCondition, CountCondition, SystemCondition> leaf;
};

// A test a rule carries: a log (inline or a file relative to the rule file) and what must come.
struct RuleTest {
  std::string name;
  std::string log;        // inline text
  std::string file;       // or a file (logs and dumps alike), resolved against the rule file's directory
  uint64_t findings = 0;  // how many findings of this rule
  std::vector<std::string> summary_contains;
  std::vector<StateFact> state;  // facts as a dump's deep analyses would give them
  SourceLocation where;
};

struct Rule {
  std::string id;
  std::string title;
  Severity severity = Severity::kMedium;
  std::string description;
  std::vector<std::string> references;
  std::string remediation;
  std::vector<std::string> tags;
  std::string summary;  // "VF {vf} on {pf}: ..."; fields are captures and report fields
  Condition match;
  ConditionList evidence;  // optional corroboration: never decides, adds lines and "corroborated"
  std::vector<RuleTest> tests;
  SourceLocation where;
  bool report_scoped = false;  // `match` looks at a report: one finding per matching report
};

}  // namespace ktriage::rules
