// Crash signatures: a stable hash of what identifies a crash, for deduplication across a fleet.
#pragma once

#include <string>

#include "analyzer/report/crash_report.h"
#include "analyzer/report/title_extractor.h"

namespace re2 {
class RE2;
}

namespace ktriage {

// Number of top frames that make a signature: enough to tell two bugs in one function apart,
// few enough that different callers deep in the stack do not split one bug into many.
inline constexpr size_t kSignatureFrames = 5;

// 16 hex digits. Built from the kind and the top reliable frames (names without offsets or
// compiler suffixes, generic frames such as dump_stack skipped); from the title when there are no
// frames. `generic_frames` may be null; `cache` (may be null) remembers its verdict per name.
std::string ComputeSignature(const CrashReport& report, const re2::RE2* generic_frames, TitleCache* cache = nullptr);

}  // namespace ktriage
