// The one list of frames that say how a stack was taken or how a CPU waits, never where a problem
// is: tracing machinery, stack and report printers, delay loops.
#pragma once

#include <string_view>

namespace ktriage {

// True for a function (its base name, without ".isra.0"-style suffixes) that belongs to
//  - the tracing machinery: kprobe, kretprobe/rethook, ftrace, fprobe, perf and BPF handlers and
//    trampolines ("bpf_prog_*", "bpf_trampoline_*"), and the int3/breakpoint entry a kprobe takes;
//  - the printing of a stack or a report: dump_stack, show_stack, dump_backtrace, warn_slowpath_*,
//    __warn, report_bug, nmi_cpu_backtrace...;
//  - the delay loops a busy-waiting CPU sits in (__delay, delay_tsc...).
// A frame with no name at all (a bare address: a trampoline, a BPF program) is machinery too; the
// caller tells by the empty name. Rules' `top: N` counts past these (docs/rules.md).
bool IsMachineryFrame(std::string_view function);

// The name a frame gets from 6.12's function tracer stack line "=> [FTRACE TRAMPOLINE]", which
// has no address: the kernel's own words, so that every frame names something.
inline constexpr std::string_view kFtraceTrampolineFrame = "[FTRACE TRAMPOLINE]";

}  // namespace ktriage
