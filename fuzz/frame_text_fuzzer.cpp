// Fuzz target: each input line through the frame parser (every architecture's frame shapes,
// context markers); each frame through the JSON writer's frame spelling (which must parse back)
// and `ktriage symbolize`'s decode_stacktrace.sh-style rewrite, bare and with a source and inline
// chain as debuginfo would give them.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "analyzer/symbolize/stacktrace_line.h"
#include "analyzer/output/analysis_output.h"
#include "analyzer/report/frame_parser.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ktriage;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::ForEachLine(text, [](std::string_view line) {
    (void)ParseContextMarker(line);
    std::optional<Frame> frame = ParseFrameLine(line);
    if (!frame) return;
    if (frame->function.empty() && !frame->address) std::abort();  // a frame names something
    std::string json;
    AppendFrameJson(json, *frame);
    if (!nlohmann::json::accept(json)) std::abort();  // the JSON output's frame spelling
    (void)DecodeStacktraceLine(line, *frame);
    // As debuginfo would answer: a source line and one inlined caller.
    frame->source = "net/core/dev.c:4214";
    frame->inlined.push_back(InlinedCall{});
    frame->inlined.back().function = "skb_tx_hash";
    frame->inlined.back().source = "include/linux/netdevice.h:3027";
    frame->symbolized = true;
    (void)DecodeStacktraceLine(line, *frame);
  });
  return 0;
}
