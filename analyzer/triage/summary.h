// TriageSummary: what a triage run found, grouped for people: known problems by rule, then
// crashes no rule recognised by signature. Built from sightings (one per finding or unknown
// report), whether analysed in this run or remembered by the history.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analyzer/history/sighting.h"
#include "base/utc_time.h"
#include "analyzer/report/crash_report.h"

namespace ktriage::triage {

using history::Sighting;

// Lines of a report kept as a group's example.
inline constexpr size_t kExampleLines = 120;

struct ProblemRow {
  std::string rule;
  std::string title;
  std::string severity;
  uint64_t count = 0;
  std::set<std::string> hosts;
  std::optional<int64_t> first_seen;
  std::optional<int64_t> last_seen;
  std::string example;             // "input:line", the first in (input, line) order
  std::shared_ptr<CrashReport> example_report;  // that example's report, when kept (none for a log-wide finding)
};

struct SignatureRow {
  std::string signature;
  std::string title;
  std::string kind;
  uint64_t count = 0;
  std::set<std::string> hosts;
  std::optional<int64_t> first_seen;
  std::optional<int64_t> last_seen;
  std::string example;
  std::shared_ptr<CrashReport> example_report;
  bool is_new = false;
};

struct TriageSummary {
  uint64_t logs = 0;               // inputs analysed as logs
  uint64_t dumps = 0;              // crash dumps analysed
  uint64_t failed = 0;             // inputs that could not be (fully) read
  uint64_t superseded = 0;         // kdump dmesg files not counted: the dump beside them was read
  uint64_t from_history = 0;       // top-level inputs unchanged since an earlier run (not read again)
  uint64_t bytes = 0;              // bytes analysed (decompressed) in this run
  std::map<std::string, uint64_t> skipped;  // reason -> count
  bool history = false;            // a history database was used (`new` marks mean something)
  bool interrupted = false;
  std::vector<ProblemRow> known;   // by count (descending), then rule id
  std::vector<SignatureRow> unknown;  // by count (descending), then signature
  // Every crash report, known or not, by UTC day ("2026-11-22"; "" when the time is unknown)
  // and report kind.
  std::map<std::string, std::map<std::string, uint64_t>> crashes_per_day;
};

class SummaryBuilder {
 public:
  void Add(const Sighting& s);
  // A crash report, counted per day and kind whether or not a rule knew it.
  void CountCrash(const Sighting& report);
  TriageSummary& counts() { return summary_; }
  // Sorted rows; the builder is left empty.
  TriageSummary Finish();

 private:
  TriageSummary summary_;
  std::map<std::string, ProblemRow> known_;
  std::map<std::string, SignatureRow> unknown_;
  struct ExampleRef {
    std::string input;
    uint64_t line = 0;
    std::shared_ptr<CrashReport> report;
  };
  std::map<std::string, ExampleRef> examples_;  // "r:key"/"s:key"
};

// The text summary `ktriage triage` prints on stdout.
std::string FormatSummary(const TriageSummary& summary);

}  // namespace ktriage::triage
