// Parses one line of a kernel stack trace (x86-64, arm64, ppc64, s390, ftrace "=>" stacks,
// already-symbolized syzkaller style) into a Frame, and tracks <IRQ>/<NMI>/<TASK> markers.
#pragma once

#include <optional>
#include <string_view>

#include "analyzer/report/crash_report.h"

namespace ktriage {

// Parses a line that is a frame, such as
//   " ? netdev_pick_tx+0x27c/0x294 [veth 0123abcd]"      (x86-64, module with build-id)
//   " [<ffffffff81234567>] ? foo+0x1/0x2"                 (older x86)
//   "RIP: 0010:netdev_pick_tx+0x27c/0x294"                (the stuck/faulting PC)
//   "pc : foo+0x1c/0x40" / "lr : bar+0x8/0x10"            (arm64 registers)
//   "[c0000000001234] [c0000000005678] foo+0x1/0x2 (unreliable)"   (ppc64)
//   "([<000000000011bd3c>] foo+0x1/0x2)"                  (s390, unreliable)
//   " => sk_free" / " => tcp_write_timer+0x1/0x2"         (ftrace/kprobe stack trigger)
//   " __dump_stack lib/dump_stack.c:77 [inline]"          (symbolized)
// Returns nullopt for anything else. The frame's context is left kUnknown.
std::optional<Frame> ParseFrameLine(std::string_view line);

// If `line` is a stack context marker (<IRQ>, </IRQ>, <EOI>, <NMI>, <TASK>, <#DF>, ...),
// returns the context that starts with it (kTask after a closing marker).
std::optional<FrameContext> ParseContextMarker(std::string_view line);

// A context marker that starts a line and is followed by more ("<EOI>  [<ffffffff8109>] foo+0x1/0x2",
// "<<EOE>> ...", 2.6/3.x x86): its context, and in `rest` what follows it.
std::optional<FrameContext> LeadingContextMarker(std::string_view line, std::string_view* rest = nullptr);

// True for a "function name" character as the kernel prints symbols (letters, digits, _ and .).
inline bool IsSymbolChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

}  // namespace ktriage
