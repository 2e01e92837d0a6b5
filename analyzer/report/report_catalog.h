// ReportCatalog: every report class ktriage recognises, how a report starts, and how its title,
// guilty frame and kind are derived. Titles follow syzkaller's conventions (pkg/report), the
// de-facto naming of kernel crashes, so that our titles can be compared with its corpus.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzer/report/crash_report.h"
#include "base/result.h"

namespace re2 {
class RE2;
}

namespace ktriage {

// How the guilty frame is picked from the frames a stack spec collected.
enum class FrameExtractor : uint8_t {
  kFirst,     // the first frame that is not skipped
  kStall,     // lockups/stalls: the caller of a representative dispatch frame (syscall entry, ...)
  kHungTask,  // hung tasks: group by rtnl_lock / synchronize_rcu, else skip scheduler frames
};

// Describes where the guilty frame is in the report text. Each part is a regex matched on the
// lines in order (a capture yields a frame), or the token "@stack" meaning "parse the stack trace
// from here". Each of `fallbacks` is tried in turn when the parts before it find nothing.
struct StackSpec {
  std::vector<std::string> parts;
  std::vector<std::vector<std::string>> fallbacks;
  std::vector<std::string> skip;  // substrings/regexes of function names that are never guilty
  FrameExtractor extractor = FrameExtractor::kFirst;
};

struct TitleFormat {
  std::string title;       // regex searched in the report text (first match wins)
  std::string report;      // optional regex over the whole report; if it fails the title is "corrupted"
  std::string format;      // "{1} ... {2}": captures of report (or title), then the extracted frame(s)
  std::vector<std::string> alt;  // alternative titles in the same notation, for coarser deduplication
  ReportKind kind = ReportKind::kOther;
  bool has_stack = false;
  StackSpec stack;
  bool no_stack_trace = false;  // the report has no "Call Trace" by nature: do not call it corrupted
  bool corrupted = false;       // this format only ever matches damaged reports
};

struct ReportClass {
  std::string header;                     // literal that starts a report when found in a line (under 4 bytes: when it is the line)
  std::vector<std::string> suppressions;  // regexes: a line with the header but also one of these is not a report
  std::vector<TitleFormat> formats;
  // True for classes that syzkaller does not treat as crashes (OOM kills, MCE, NETDEV WATCHDOG...).
  // They are reported, but excluded when comparing with syzkaller's corpus.
  bool fleet_only = false;
  ReportKind default_kind = ReportKind::kOther;
};

// The compiled catalog. Build once with ReportCatalog::Create() and share (it is immutable and
// thread-safe after construction).
class ReportCatalog {
 public:
  struct CompiledFormat;
  struct CompiledClass;

  static Result<std::shared_ptr<const ReportCatalog>> Create();
  static Result<std::shared_ptr<const ReportCatalog>> Create(std::vector<ReportClass> classes);
  ~ReportCatalog();

  // Index of the first class whose header occurs in `line` (and no suppression matches), or -1.
  int MatchStart(std::string_view line) const { return FirstStart(line, HeaderHits(line)); }
  // Bit i set: class i's header occurs in `line`. One pass over the line, zero for nearly every
  // line of a log. (The catalog has at most 64 classes; Create() checks.)
  uint64_t HeaderHits(std::string_view line) const;
  // MatchStart() given the line's HeaderHits().
  int FirstStart(std::string_view line, uint64_t hits) const;
  const CompiledClass& cls(int index) const { return *classes_[static_cast<size_t>(index)]; }
  size_t size() const { return classes_.size(); }

  // Lines that may appear inside a report without starting a new one ("Kernel panic - not syncing").
  bool IsContinuationStart(std::string_view line) const;
  // Informational messages that carry a stack but are not bugs; inside a report they end it.
  bool IsInfoWithStack(std::string_view line) const;
  // Frames that never identify a bug (printing, sanitizer runtime, locking, generic helpers), for
  // crash signatures. Kept apart from title_skip_frames() so that signatures stay stable.
  const re2::RE2& generic_frames() const { return *generic_frames_; }
  // Frames a title never names, whatever the report (syzkaller's common skip list); each stack
  // spec adds its own.
  const re2::RE2& title_skip_frames() const { return *title_skip_frames_; }

 private:
  ReportCatalog();
  std::vector<std::unique_ptr<CompiledClass>> classes_;
  // Multi-pattern search for the headers (Rabin-Karp with a bloom filter): every other position
  // of a line is hashed over a 3-byte window; each header is indexed by its windows at offsets 0
  // and 1, so an occurrence at an even or odd position is seen either way. A set bit leads to an
  // exact memcmp. This rejects nearly every log line at about two instructions per byte.
  struct HeaderWindow {
    uint32_t hash;
    uint16_t class_index;
    uint16_t offset;  // of the window within the header
    bool operator<(const HeaderWindow& o) const { return hash < o.hash; }
  };
  std::vector<uint64_t> header_bloom_;
  std::vector<HeaderWindow> header_index_;  // sorted by hash
  size_t min_header_len_ = 0;
  // Headers shorter than the search window, matched only as a whole line.
  std::vector<std::pair<std::string, uint16_t>> whole_line_headers_;
  std::unique_ptr<re2::RE2> continuation_starts_;
  std::unique_ptr<re2::RE2> generic_frames_;
  std::unique_ptr<re2::RE2> title_skip_frames_;
};

// The built-in classes.
std::vector<ReportClass> BuiltinReportClasses();

}  // namespace ktriage
