// Writers for `analyze` results: human text and the versioned JSON contract (docs/json.md).
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/pipeline/input_result.h"

namespace ktriage {

inline constexpr const char* kAnalysisSchema = "ktriage.analysis/2";

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
// reports are written as the pipeline hands them over, the per-input facts that are only known at
// the end of the input (format, system, stats) after them. For the same data the output is
// byte-identical to WriteJson/WriteText.
// `temp_dir`: where findings wait for the end of a huge input's reports (SpillBuffer).
std::unique_ptr<AnalysisSink> MakeJsonWriter(std::ostream& out, const std::string& temp_dir = "/tmp");
std::unique_ptr<AnalysisSink> MakeTextWriter(std::ostream& out, const TextOutputOptions& options,
                                             const std::string& temp_dir = "/tmp");

}  // namespace ktriage
