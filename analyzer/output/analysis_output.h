// Writers for `analyze` results: human text and the versioned JSON contract (docs/json.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "analyzer/report/log_analysis.h"

namespace ktriage {

inline constexpr const char* kAnalysisSchema = "ktriage.analysis/1";

// One analysed input. `errors` holds one-line messages for this input (unreadable, cut short...).
struct InputResult {
  std::string path;
  LogAnalysis analysis;
  std::vector<std::string> errors;
};

struct TextOutputOptions {
  bool color = false;        // ANSI colours (the CLI enables them on a TTY unless NO_COLOR is set)
  bool show_all_frames = false;
  size_t max_frames = 16;    // frames per report in the summary
};

void WriteJson(std::ostream& out, const std::vector<InputResult>& inputs);
void WriteText(std::ostream& out, const std::vector<InputResult>& inputs, const TextOutputOptions& options);

}  // namespace ktriage
