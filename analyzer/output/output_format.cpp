// Formatting shared by the text and JSON writers.
#include "analyzer/output/output_format.h"

#include "base/text.h"

#include <cstdio>

namespace ktriage::output_internal {

std::string FrameString(const Frame& frame) {
  std::string s;
  if (!frame.function.empty()) {
    s = frame.function;
    if (frame.offset) {
      s += '+';
      s += HexString(*frame.offset);
      if (frame.size) {
        s += '/';
        s += HexString(*frame.size);
      }
    }
  } else if (frame.address) {
    s = HexString(*frame.address);
  } else {
    s = "??";
  }
  if (!frame.module.empty()) {
    s += " [";
    s += frame.module;
    s += ']';
  }
  return s;
}

std::string TimestampString(double seconds) {
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%.6f", seconds);
  if (n < 0) return "?";
  return std::string(buf, static_cast<size_t>(n) < sizeof buf ? static_cast<size_t>(n) : sizeof buf - 1);
}

void Replay(AnalysisSink& sink, const std::vector<InputResult>& inputs) {
  for (const InputResult& input : inputs) {
    sink.BeginInput(input.path, input.vmcore ? &*input.vmcore : nullptr, input.deep ? &*input.deep : nullptr);
    for (const CrashReport& report : input.analysis.reports) sink.WriteReport(report);
    sink.EndInput(input);
  }
  sink.Finish();
}

}  // namespace ktriage::output_internal
