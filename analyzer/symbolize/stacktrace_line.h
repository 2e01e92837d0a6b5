// DecodeStacktraceLine: one frame line rewritten byte for byte as the kernel's
// scripts/decode_stacktrace.sh (Linux 6.1) prints it, so that `ktriage symbolize` can replace it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analyzer/report/crash_report.h"

namespace ktriage {

// `line`: the line as read, without its "\n" (a trailing "\r" is ignored). `frame`: the frame
// parsed from it, with `source` and `inlined` from debuginfo looked up at the printed address
// (the script does not step back from return addresses).
//
// The script splits the line into words, drops "[<address>]" words, re-pads "[ 12.34]" timestamps
// to "[%13s", takes the last word (or the one before a "[module]" word) as the symbol and prints
//   words... SEGMENT:NAME (FILE:LINE FILE:LINE...) MODULE
// with the `addr2line -i` lines innermost first, the module without its brackets and build-id,
// and a trailing blank when there is no module. Returns that line without "\n", or nullopt when
// the script's choice of symbol word is not `frame` (the caller then echoes the line unchanged).
std::optional<std::string> DecodeStacktraceLine(std::string_view line, const Frame& frame);

}  // namespace ktriage
