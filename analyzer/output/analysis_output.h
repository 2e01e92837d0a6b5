// Writers for `analyze` results: human text and the versioned JSON contract (docs/json.md).
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/kernel_state/deep_analysis.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "rules/finding.h"

namespace ktriage {

inline constexpr const char* kAnalysisSchema = "ktriage.analysis/2";

// One analysed input. `errors` holds one-line messages for this input (unreadable, cut short...).
struct InputResult {
  std::string path;
  LogAnalysis analysis;
  std::vector<std::string> errors;
  // False when the input could not be opened at all: JSON then shows "format" and
  // "compression" as null instead of inventing a format for bytes never read.
  bool opened = true;
  // Set when the input is a crash dump: what the dump itself says (the log's reports are in
  // `analysis` like any log's).
  std::optional<VmcoreFacts> vmcore;
  // Symbolization: the debuginfo files that answered, and what was searched and not found or
  // found and rejected (one line each).
  std::vector<std::string> debuginfo;
  std::vector<std::string> symbol_notes;
  // Known problems the rules recognised in this input (rules/), in evidence order.
  std::vector<rules::Finding> findings;
  // A dump read with its vmlinux: stacks and namespaces (absent without that debuginfo).
  std::optional<kernel::DeepAnalysis> deep;
};

struct TextOutputOptions {
  bool color = false;        // ANSI colours (the CLI enables them on a TTY unless NO_COLOR is set)
  bool show_all_frames = false;
  size_t max_frames = 16;    // frames per report in the summary
};

void WriteJson(std::ostream& out, const std::vector<InputResult>& inputs);
// The "vmcore" object of the JSON document (docs/json.md), on its own.
std::string VmcoreFactsJson(const VmcoreFacts& facts);
// One frame as the document's "frames" entries write it (docs/json.md, "frame"), appended to
// `out`: `ktriage symbolize --format json` writes frames through it so that they have one spelling.
void AppendFrameJson(std::string& out, const Frame& frame);
void WriteText(std::ostream& out, const std::vector<InputResult>& inputs, const TextOutputOptions& options);
// JSON Lines (`ktriage triage --output`, docs/json.md): one report or one finding (exactly one of
// the two pointers set) as a single-line JSON object, with the keys, order and spelling of the
// analysis document. `leading_members` (rendered `"key":value` pairs without a trailing comma,
// e.g. the input's path) come first, so that each line says whose report it is on its own.
std::string JsonLineObject(std::string_view leading_members, const CrashReport* report, const rules::Finding* finding);

// Streaming form of the writers above, for inputs too large to hold their reports in memory:
// reports are written as AnalyzeLog's sink hands them over, the per-input facts that are only
// known at the end of the input (format, system, stats) after them. For the same data the
// output is byte-identical to WriteJson/WriteText. Calls must come in the order
// (BeginInput WriteReport* EndInput)* Finish. `vmcore` is the dump's facts when the input is a dump
// (they are known before its log is read), null otherwise.
class AnalysisWriter {
 public:
  virtual ~AnalysisWriter() = default;
  virtual void BeginInput(const std::string& path, const VmcoreFacts* vmcore) = 0;
  virtual void WriteReport(const CrashReport& report) = 0;
  // `input.analysis.reports` is not written again: those went through WriteReport.
  virtual void EndInput(const InputResult& input) = 0;
  virtual void Finish() = 0;
};

std::unique_ptr<AnalysisWriter> MakeJsonWriter(std::ostream& out);
std::unique_ptr<AnalysisWriter> MakeTextWriter(std::ostream& out, const TextOutputOptions& options);

}  // namespace ktriage
