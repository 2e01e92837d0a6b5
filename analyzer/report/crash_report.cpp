// Stable names of report kinds and frame contexts: they are part of the JSON contract and of rules.
#include "analyzer/report/crash_report.h"

namespace ktriage {

const char* ReportKindName(ReportKind k) {
  switch (k) {
    case ReportKind::kSoftLockup: return "soft_lockup";
    case ReportKind::kHardLockup: return "hard_lockup";
    case ReportKind::kHungTask: return "hung_task";
    case ReportKind::kRcuStall: return "rcu_stall";
    case ReportKind::kOops: return "oops";
    case ReportKind::kGpf: return "gpf";
    case ReportKind::kBug: return "bug";
    case ReportKind::kWarning: return "warning";
    case ReportKind::kPanic: return "panic";
    case ReportKind::kKasan: return "kasan";
    case ReportKind::kKfence: return "kfence";
    case ReportKind::kUbsan: return "ubsan";
    case ReportKind::kKcsan: return "kcsan";
    case ReportKind::kKmsan: return "kmsan";
    case ReportKind::kLockdep: return "lockdep";
    case ReportKind::kOomKill: return "oom_kill";
    case ReportKind::kPageAllocFailure: return "page_alloc_failure";
    case ReportKind::kMce: return "mce";
    case ReportKind::kNetdevUnregisterWait: return "netdev_unregister_wait";
    case ReportKind::kNetdevWatchdog: return "netdev_watchdog";
    case ReportKind::kListCorruption: return "list_corruption";
    case ReportKind::kDoubleFault: return "double_fault";
    case ReportKind::kStackOverflow: return "stack_overflow";
    case ReportKind::kSleepInAtomic: return "sleep_in_atomic";
    case ReportKind::kMemoryLeak: return "memory_leak";
    case ReportKind::kWorkqueueLockup: return "workqueue_lockup";
    case ReportKind::kNmiBacktrace: return "nmi_backtrace";
    case ReportKind::kFtraceStack: return "ftrace_stack";
    case ReportKind::kOther: return "other";
  }
  return "other";
}

const char* FrameContextName(FrameContext c) {
  switch (c) {
    case FrameContext::kTask: return "task";
    case FrameContext::kIrq: return "irq";
    case FrameContext::kSoftirq: return "softirq";
    case FrameContext::kNmi: return "nmi";
    case FrameContext::kException: return "exception";
    case FrameContext::kUnknown: return "unknown";
  }
  return "unknown";
}

}  // namespace ktriage
