// CrashReport and Frame: a kernel failure report parsed out of a log into typed fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/ingest/log_line.h"
#include "base/inlined_call.h"

namespace ktriage {

enum class ReportKind : uint8_t {
  kSoftLockup,
  kHardLockup,
  kHungTask,
  kRcuStall,
  kOops,               // page fault / NULL pointer dereference
  kGpf,                // general protection fault, stack segment fault
  kBug,                // kernel BUG at ..., invalid opcode
  kWarning,
  kPanic,
  kKasan,
  kKfence,
  kUbsan,
  kKcsan,
  kKmsan,
  kLockdep,
  kOomKill,
  kPageAllocFailure,
  kMce,
  kNetdevUnregisterWait,
  kNetdevWatchdog,
  kListCorruption,
  kDoubleFault,
  kStackOverflow,
  kSleepInAtomic,
  kMemoryLeak,
  kWorkqueueLockup,
  kNmiBacktrace,
  kFtraceStack,
  kOther,              // a recognised report that fits none of the classes above
};

// Stable snake_case name used in JSON and rules ("soft_lockup", ...).
const char* ReportKindName(ReportKind k);

// Where a frame was when printed, from the <IRQ>/<NMI>/<TASK>/<#DF> markers of the trace.
enum class FrameContext : uint8_t { kTask, kIrq, kSoftirq, kNmi, kException, kUnknown };
const char* FrameContextName(FrameContext c);

// arm32 prints each frame with its caller ("X from Y+0x24/0x2c"): Y, at the return address into it.
struct FrameCaller {
  std::string function;
  std::optional<uint64_t> offset;
  std::optional<uint64_t> size;
  std::string module;
  std::optional<uint64_t> address;
};

struct Frame {
  std::string function;               // as printed, suffixes kept ("foo.isra.0")
  std::optional<uint64_t> offset;     // +0x27c
  std::optional<uint64_t> size;       // /0x294
  std::string module;                 // "[veth]" -> "veth"
  std::string build_id;               // "[veth 1234abcd...]" -> hex build-id
  std::optional<uint64_t> address;    // "[<ffffffff81234567>]", when printed
  bool reliable = true;               // false for "? foo" and ppc64 "(unreliable)"
  bool is_ip = false;                 // the faulting/stuck PC (RIP:, pc :, NIP), not a return address
  FrameContext context = FrameContext::kUnknown;
  std::string source;                 // "net/core/dev.c:4214": printed by an already symbolized log, or from debuginfo
  bool printed_inline = false;        // "[inline]" frame of an already symbolized log
  std::vector<InlinedCall> inlined;   // from debuginfo: functions inlined at this frame, innermost first
  bool symbolized = false;            // source/inlined come from debuginfo (symbols/), not from the log
  std::optional<FrameCaller> caller;  // arm32 "X from Y" lines: Y (the next frame out)
};

struct CrashReport {
  ReportKind kind = ReportKind::kOther;
  std::string title;                  // syzkaller-style title, e.g. "BUG: soft lockup in netdev_pick_tx"
  std::string guilty_frame;           // the frame the title names ("" when none)
  std::string signature;              // stable hex hash for deduplication
  bool corrupted = false;
  std::string corrupted_reason;
  bool interleaved = false;           // lines of other CPUs were mixed in and separated heuristically
  bool panicked = false;              // the kernel panicked as part of / right after this report
  std::string panic_message;          // text after "Kernel panic - not syncing: "
  std::optional<int> cpu;
  std::optional<int> pid;
  std::string comm;
  std::string tainted;                // taint flags as printed ("G  O  L") or "" when not tainted
  std::string kernel_release;         // "6.1.0-50-cloud-amd64"
  std::string hardware;               // "Hardware name:" line
  std::vector<std::string> modules;   // "Modules linked in:" list
  std::map<std::string, std::string> registers;  // "RAX" -> "ffff..."
  std::optional<double> time_start;   // printk timestamp of the first line
  std::optional<double> time_end;
  uint64_t line_start = 0;            // 1-based input line numbers of the first and last line
  uint64_t line_end = 0;
  Caller caller;                      // printk caller id of the report's lines, when printed
  std::vector<Frame> frames;
  std::vector<std::string> text;      // the report's lines, transport prefixes removed
  // False for classes syzkaller does not count as crashes (OOM kill, MCE, NETDEV WATCHDOG, ftrace
  // stacks...). Used when comparing with syzkaller's corpus; not part of the JSON contract.
  bool syzkaller_class = true;
};

}  // namespace ktriage
