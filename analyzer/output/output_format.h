// Formatting shared by the text and JSON writers, so that both spell numbers and frames alike.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "analyzer/pipeline/input_result.h"
#include "analyzer/report/crash_report.h"

namespace ktriage::output_internal {

// "func+0x1/0x2 [module]" as the kernel prints a trace entry, falling back to the address
// when no symbol was printed. No "? " prefix: callers decide how to mark unreliable frames.
std::string FrameString(const Frame& frame);

// Results held in memory handed to a streaming writer, as the pipeline would have handed them.
void Replay(AnalysisSink& sink, const std::vector<InputResult>& inputs);

// "5256.508123": printk's own precision, so text output lines up with the log it came from.
std::string TimestampString(double seconds);

}  // namespace ktriage::output_internal
