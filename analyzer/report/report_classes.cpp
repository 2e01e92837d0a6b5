// The built-in report classes: how each kind of kernel report starts and how it is titled, after
// syzkaller's pkg/report rules for Linux. Order matters twice: classes are tried in order on each
// line, and within a class the format whose title matches earliest in the report wins (ties: the
// first listed).
#include "analyzer/report/report_catalog.h"

namespace ktriage {
namespace {

using K = ReportKind;

// Regex fragments, expanded when the catalog is compiled:
//   {{PC}}   a printed address "[<ffffffff81234567>]"
//   {{FUNC}} a function name followed by "+0x" or a ".suffix" (captured)
//   {{SRC}}  "path/file.c:123" (captured)
//   {{RIP}}  the line naming the faulting PC on x86 (RIP:/IP:), ppc (NIP), arm64 (pc :), arm (PC is at)
//   "@stack" (a whole part) parse the stack trace from the current line on

// The heading of a stack trace: x86 and arm64 print "Call Trace:"/"Call trace:", arm32 "Backtrace:".
constexpr const char* kCallTraceRe = "Call (?:T|t)race:|Backtrace:";

StackSpec Stack(std::vector<std::string> parts, std::vector<std::string> skip = {},
                FrameExtractor ex = FrameExtractor::kFirst) {
  return StackSpec{std::move(parts), {}, std::move(skip), ex};
}

// The faulting PC, else (skipped) the first frame of the call trace.
StackSpec RipThenCallTrace(std::vector<std::string> skip = {}, FrameExtractor ex = FrameExtractor::kFirst) {
  return Stack({"{{RIP}}", kCallTraceRe, "@stack"}, std::move(skip), ex);
}

StackSpec CallTrace(std::vector<std::string> skip = {}, FrameExtractor ex = FrameExtractor::kFirst) {
  return Stack({kCallTraceRe, "@stack"}, std::move(skip), ex);
}

// WARNINGs trap on newer kernels, so the stack starts after the RIP line (ppc64: "--- interrupt:");
// older kernels just print a Call Trace.
StackSpec WarningStack(std::vector<std::string> skip = {}) {
  StackSpec s;
  s.parts = {"(?:{{RIP}}|--- interrupt: [0-9]+ at {{FUNC}})", "@stack"};
  s.fallbacks = {{kCallTraceRe, "@stack"}};
  s.skip = std::move(skip);
  return s;
}

TitleFormat WithStack(std::string title, std::string format, K kind, StackSpec stack, std::string report = "") {
  TitleFormat f;
  f.title = std::move(title);
  f.report = std::move(report);
  f.format = std::move(format);
  f.kind = kind;
  f.has_stack = true;
  f.stack = std::move(stack);
  return f;
}

TitleFormat Plain(std::string title, std::string format, K kind, std::string report = "") {
  TitleFormat f;
  f.title = std::move(title);
  f.report = std::move(report);
  f.format = std::move(format);
  f.kind = kind;
  return f;
}

TitleFormat NoStack(TitleFormat f) {
  f.no_stack_trace = true;
  return f;
}

TitleFormat Corrupted(TitleFormat f) {
  f.corrupted = true;
  return f;
}

TitleFormat Alt(TitleFormat f, std::vector<std::string> alt) {
  f.alt = std::move(alt);
  return f;
}

// A class with one header, no suppressions and the given formats.
ReportClass Simple(std::string header, K kind, std::vector<TitleFormat> formats, bool fleet_only = false) {
  ReportClass c;
  c.header = std::move(header);
  c.formats = std::move(formats);
  c.fleet_only = fleet_only;
  c.default_kind = kind;
  return c;
}

ReportClass BugClass() {
  ReportClass b;
  b.header = "BUG:";
  b.default_kind = K::kBug;
  b.suppressions = {"ODEBUG:", "Boot_DEBUG:", "xlog_status:", "DEBUG:", "BUG: no syscalls can create resource"};
  auto& f = b.formats;
  // KASAN_HW_TAGS reports reach the checker through the arm64 fault path.
  f.push_back(Alt(WithStack("BUG: KASAN:", "KASAN: {1} {3} in {4}", K::kKasan,
                            Stack({"BUG: KASAN: (?:[a-z\\-]+) in {{FUNC}}", kCallTraceRe, "@stack"},
                                  {"kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"}),
                            "BUG: KASAN: ([a-z\\-]+) in {{FUNC}}(?:.*\\n)+?.*(Read|Write) (?:of size|at addr) (?:[0-9a-f]+)"),
                  {"bad-access in {4}"}));
  f.push_back(Alt(WithStack("BUG: KASAN:", "KASAN: invalid-free in {2}", K::kKasan,
                            Stack({"BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}",
                                   kCallTraceRe, "@stack"},
                                  {"slab_", "kfree", "vunmap", "vfree"}),
                            "BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}"),
                  {"invalid-free in {2}"}));
  f.push_back(Plain("BUG: KASAN: ([a-z\\-]+) on address(?:.*\\n)+?.*(Read|Write) of size ([0-9]+)", "KASAN: {1} {2}",
                    K::kKasan));
  f.push_back(Corrupted(Plain("BUG: KASAN: (.*)", "KASAN: {1}", K::kKasan)));
  {
    // KMSAN prints the stack right after its header; the origin stack follows "created at:".
    TitleFormat t = WithStack("BUG: KMSAN: kernel-usb-infoleak", "KMSAN: kernel-usb-infoleak in {2}", K::kKmsan,
                              Stack({"@stack", "(Local variable .* created at:|Uninit was created at:)", "@stack"},
                                    {"alloc_skb", "usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg",
                                     "usb_interrupt_msg", "usb_control_msg"}),
                              "BUG: KMSAN: kernel-usb-infoleak in {{FUNC}}");
    f.push_back(NoStack(Alt(t, {"KMSAN origin in {3}"})));
  }
  // Encryption routines are where uninitialised keys are first used, never where the bug is.
  f.push_back(NoStack(Alt(WithStack("BUG: KMSAN:", "KMSAN: {1} in {3}", K::kKmsan,
                                    Stack({"@stack", "(Local variable .* created at:|Uninit was created at:)", "@stack"},
                                          {"alloc_skb", "netlink_ack", "netlink_rcv_skb", "_encrypt$",
                                           "^(?:crypto|cipher|drbg|rng)_"}),
                                    "BUG: KMSAN: ([a-z\\-]+) in {{FUNC}}"),
                          {"bad-access in {3}"})));
  f.push_back(NoStack(Plain("BUG: KCSAN: data-race", "KCSAN: {1}", K::kKcsan, "BUG: KCSAN: (.*)")));
  f.push_back(NoStack(Plain("BUG: KCSAN:", "KCSAN: {1}", K::kKcsan, "BUG: KCSAN: (.*)")));
  // KFENCE names the accessing function in its header, unless that one is skipped.
  const std::vector<std::string> kfence_parts = {"BUG: KFENCE: (?:[a-z\\- ]+) in {{FUNC}}", "@stack"};
  f.push_back(Alt(WithStack("BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in {{FUNC}}",
                            "KFENCE: {1} {2} in {4}", K::kKfence, Stack(kfence_parts)),
                  {"bad-access in {4}"}));
  f.push_back(NoStack(Alt(WithStack("BUG: KFENCE: invalid free in {{FUNC}}", "KFENCE: invalid free in {2}", K::kKfence,
                                    Stack(kfence_parts)),
                          {"invalid-free in {2}"})));
  f.push_back(Alt(WithStack("BUG: KFENCE: invalid (read|write) in {{FUNC}}", "KFENCE: invalid {1} in {3}", K::kKfence,
                            Stack(kfence_parts)),
                  {"bad-access in {3}"}));
  f.push_back(NoStack(WithStack("BUG: KFENCE: memory corruption in {{FUNC}}", "KFENCE: memory corruption in {2}",
                                K::kKfence, Stack(kfence_parts))));
  f.push_back(Alt(WithStack("BUG: (?:unable to handle kernel paging request|unable to handle page fault for address|"
                            "Unable to handle kernel data access)",
                            "BUG: unable to handle kernel paging request in {1}", K::kOops, RipThenCallTrace()),
                  {"bad-access in {1}"}));
  f.push_back(Alt(WithStack("BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|"
                            "Kernel NULL pointer dereference)",
                            "BUG: unable to handle kernel NULL pointer dereference in {1}", K::kOops, RipThenCallTrace()),
                  {"bad-access in {1}"}));
  // The second half of this header is a separate printk and is often lost or mangled.
  f.push_back(Corrupted(Plain("BUG: (?:unable to handle kernel|Unable to handle kernel)", "BUG: unable to handle kernel",
                              K::kOops)));
  f.push_back(WithStack("BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|"
                        "wrong owner|wrong CPU|trylock failure on UP)",
                        "BUG: {1} {2} in {3}", K::kBug, CallTrace({"spin_", "_lock", "_unlock"})));
  f.push_back(Alt(WithStack("BUG: soft lockup", "BUG: soft lockup in {1}", K::kSoftLockup,
                            RipThenCallTrace({}, FrameExtractor::kStall)),
                  {"stall in {1}"}));
  f.push_back(Plain("BUG: .*still has locks held!", "BUG: still has locks held in {1}", K::kLockdep,
                    "BUG: .*still has locks held!(?:.*\\n)+?.*{{PC}} +{{FUNC}}"));
  f.push_back(WithStack("BUG: scheduling while atomic", "BUG: scheduling while atomic in {1}", K::kSleepInAtomic,
                        CallTrace({"schedule"})));
  f.push_back(NoStack(Plain("BUG: lock held when returning to user space", "BUG: lock held when returning to user space in {1}",
                            K::kLockdep,
                            "BUG: lock held when returning to user space(?:.*\\n)+?.*leaving the kernel with locks still "
                            "held(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}")));
  f.push_back(WithStack("BUG: bad unlock balance detected!", "BUG: bad unlock balance in {1}", K::kLockdep,
                        Stack({"{{PC}} +{{FUNC}}", kCallTraceRe, "@stack"})));
  f.push_back(Plain("BUG: held lock freed!", "BUG: held lock freed in {1}", K::kLockdep,
                    "BUG: held lock freed!(?:.*\\n)+?.*{{PC}} +{{FUNC}}"));
  f.push_back(NoStack(Plain("BUG: Bad rss-counter state", "BUG: Bad rss-counter state", K::kBug)));
  f.push_back(NoStack(Plain("BUG: non-zero nr_ptes on freeing mm", "BUG: non-zero nr_ptes on freeing mm", K::kBug)));
  f.push_back(NoStack(Plain("BUG: non-zero nr_pmds on freeing mm", "BUG: non-zero nr_pmds on freeing mm", K::kBug)));
  // The filesystem type and block device (loop0, loop1, ...) would split one bug into many.
  f.push_back(Alt(Plain("BUG: Dentry .* still in use", "BUG: Dentry still in use in {1}", K::kBug,
                        "BUG: Dentry .* still in use \\([0-9]+\\) \\[(unmount) of ([^\\]]+)\\]"),
                  {"BUG: Dentry still in use [{1} of {2}]"}));
  // The page's last allocation names who leaked or corrupted it; the freeing stack is generic.
  f.push_back(WithStack("BUG: Bad page (state|cache)", "BUG: Bad page {1} in {2}", K::kBug,
                        Stack({"page last allocated", "@stack"},
                              {"(free|put|get|update|release)_page", "free_unref", "^_*folio", "truncate_inode_pages",
                               "page_frag_free", "alloc", "vmap", "page_owner"})));
  f.push_back(Plain("BUG: Bad page map", "BUG: Bad page map", K::kBug));
  f.push_back(NoStack(Plain("BUG: workqueue lockup", "BUG: workqueue lockup", K::kWorkqueueLockup)));
  f.push_back(WithStack("BUG: sleeping function called from invalid context at (.*)",
                        "BUG: sleeping function called from invalid context in {2}", K::kSleepInAtomic, CallTrace()));
  f.push_back(WithStack("BUG: using ([a-z_]+)\\(\\) in preemptible", "BUG: using {1}() in preemptible code in {2}",
                        K::kSleepInAtomic,
                        CallTrace({"dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu"})));
  f.push_back(NoStack(Plain("BUG: workqueue leaked lock or atomic", "BUG: workqueue leaked lock or atomic in {1}",
                            K::kLockdep,
                            "BUG: workqueue leaked lock or atomic(?:.*\\n)+?.*last function: ([a-zA-Z0-9_]+)\\n")));
  f.push_back(WithStack("BUG: memory leak", "memory leak in {1}", K::kMemoryLeak,
                        Stack({"backtrace(?: \\(crc [[:xdigit:]]*\\))?:", "@stack"},
                              {"kmemleak", "mmap", "kmem", "slab", "alloc", "create_object", "idr_get", "list_lru_init",
                               "kasprintf", "kvasprintf", "pcpu_create", "strdup", "strndup", "memdup"})));
  // Runaway recursion: the repeating frames are the loop, named like a stall.
  f.push_back(Alt(WithStack("BUG: .*stack guard page was hit at", "BUG: stack guard page was hit in {1}",
                            K::kStackOverflow, RipThenCallTrace({}, FrameExtractor::kStall)),
                  {"stack-overflow in {1}"}));
  // arm and arm64 print this lockdep splat differently from x86, titled as x86's to deduplicate.
  f.push_back(WithStack("BUG: Invalid wait context", "WARNING: locking bug in {1}", K::kLockdep,
                        CallTrace({"lock_sock", "release_sock"})));
  f.push_back(NoStack(Plain("BUG: MAX_STACK_TRACE_ENTRIES too low!", "BUG: MAX_STACK_TRACE_ENTRIES too low!", K::kLockdep)));
  f.push_back(Corrupted(Plain("BUG:[[:space:]]*(?:\\n|$)", "BUG: corrupted", K::kBug)));
  return b;
}

ReportClass WarningClass() {
  ReportClass w;
  w.header = "WARNING:";
  w.default_kind = K::kWarning;
  w.suppressions = {"WARNING: /etc/ssh/moduli does not exist", "WARNING: workqueue cpumask: online intersect > possible intersect",
                    "WARNING: [Tt]he mand mount option", "WARNING: Unsupported flag value", "WARNING: fbcon: Driver",
                    "WARNING: Unprivileged eBPF is enabled with eIBRS", "WARNING: See https.* for mitigation options.",
                    "WARNING: kernel not compiled with CPU_SRSO", "EXT4-[Ff][Ss](?: \\(.*\\))?:",
                    "(?i)warning: .* uses (deprecated v2 capabilities|wireless extensions)", "XFS \\(\\w+\\): WARNING",
                    "WARNING: `", "WARNING: Reset corrupted AGFL", "\\wWARNING:"};
  auto& f = w.formats;
  // Debug objects, usercopy, kobject, proc and refcount checks fire in their own helpers: the title
  // names the subsystem and the first caller outside it.
  f.push_back(WithStack("WARNING: .*lib/debugobjects\\.c.* (?:debug_print|debug_check|at)", "WARNING: ODEBUG bug in {1}",
                        K::kWarning,
                        WarningStack({"debug_", "rcu", "hrtimer_", "timer_", "work_", "percpu_", "vunmap", "vfree",
                                      "__free_", "debug_check", "kobject_"})));
  f.push_back(WithStack("WARNING: .*mm/usercopy\\.c.* (?:usercopy_warn|at)", "WARNING: bad usercopy in {1}", K::kWarning,
                        WarningStack({"usercopy", "__check"})));
  f.push_back(WithStack("WARNING: .*lib/kobject\\.c.* (?:kobject_|at)", "WARNING: kobject bug in {1}", K::kWarning,
                        WarningStack({"kobject_"})));
  f.push_back(WithStack("WARNING: .*fs/proc/generic\\.c.* (?:proc_register|at)", "WARNING: proc registration bug in {1}",
                        K::kWarning, WarningStack({"proc_"})));
  f.push_back(WithStack("WARNING: .*lib/refcount\\.c.* (?:refcount_|at)", "WARNING: refcount bug in {1}", K::kWarning,
                        WarningStack({"refcount", "kobject_"})));
  f.push_back(WithStack("WARNING: .*kernel/locking/lockdep\\.c.*lock_", "WARNING: locking bug in {1}", K::kLockdep,
                        WarningStack({"lock_sock", "release_sock"})));
  f.push_back(Plain("WARNING: .*still has locks held!", "WARNING: still has locks held in {1}", K::kLockdep,
                    "WARNING: .*still has locks held!(?:.*\\n)+?.*at: {{FUNC}}"));
  f.push_back(WithStack("WARNING: Nested lock was not taken", "WARNING: nested lock was not taken in {1}", K::kLockdep,
                        WarningStack()));
  f.push_back(NoStack(Plain("WARNING: lock held when returning to user space",
                            "WARNING: lock held when returning to user space in {1}", K::kLockdep,
                            "WARNING: lock held when returning to user space(?:.*\\n)+?.*leaving the kernel with locks "
                            "still held(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}")));
  f.push_back(WithStack("WARNING: .*mm/.*\\.c.* k?.?malloc", "WARNING: kmalloc bug in {1}", K::kWarning,
                        WarningStack({"kmalloc", "krealloc", "slab", "kmem"})));
  f.push_back(WithStack("WARNING: .*mm/vmalloc.c.*__vmalloc_node", "WARNING: zero-size vmalloc in {1}", K::kWarning,
                        WarningStack()));
  f.push_back(WithStack("WARNING: .* usb_submit_urb", "WARNING in {1}/usb_submit_urb", K::kWarning,
                        WarningStack({"usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg", "usb_interrupt_msg",
                                      "usb_control_msg"})));
  // The three header layouts of WARN: "CPU: N PID: N at SRC FUNC+off" (before 6.19), and 6.19's
  // "SRC at FUNC+off, CPU#N" or "SRC at 0x0, CPU#N" (no symbol), optionally led by "[condition]".
  f.push_back(WithStack("WARNING: {{SRC}} at 0x\\d+, CPU#\\d+", "WARNING in {2}", K::kWarning, WarningStack()));
  f.push_back(WithStack("WARNING: .* at {{SRC}} {{FUNC}}", "WARNING in {3}", K::kWarning, WarningStack()));
  f.push_back(WithStack("WARNING: {{SRC}} at {{FUNC}}", "WARNING in {3}", K::kWarning, WarningStack()));
  f.push_back(WithStack("WARNING: \\[.*\\] {{SRC}} at {{FUNC}}.*", "WARNING in {3}", K::kWarning, WarningStack()));
  // Lockdep: the lock being acquired (or the caller that took it) names the deadlock.
  f.push_back(WithStack("WARNING: possible circular locking dependency detected", "possible deadlock in {1}", K::kLockdep,
                        Stack({"at: (?:{{PC}} +)?{{FUNC}}", "at: (?:{{PC}} +)?{{FUNC}}", "@stack"},
                              // Work items' pseudo-locks: these deadlocks belong to the work item.
                              {"process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue"}),
                        "WARNING: possible circular locking dependency detected(?:.*\\n)+?.*is trying to acquire lock"));
  f.push_back(Plain("WARNING: possible irq lock inversion dependency detected", "possible deadlock in {1}", K::kLockdep,
                    "WARNING: possible irq lock inversion dependency detected(?:.*\\n)+?.*just changed the state of "
                    "lock(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"));
  f.push_back(WithStack("WARNING: .*-safe -> .*-unsafe lock order detected", "possible deadlock in {1}", K::kLockdep,
                        Stack({"which became (?:.*) at:", "@stack"})));
  f.push_back(Plain("WARNING: possible recursive locking detected", "possible deadlock in {1}", K::kLockdep,
                    "WARNING: possible recursive locking detected(?:.*\\n)+?.*is trying to acquire lock(?:.*\\n)+?.*at: "
                    "(?:{{PC}} +)?{{FUNC}}"));
  f.push_back(WithStack("WARNING: inconsistent lock state", "inconsistent lock state in {2}", K::kLockdep, CallTrace(),
                        "WARNING: inconsistent lock state(?:.*\\n)+?.*takes(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"));
  f.push_back(WithStack("WARNING: suspicious RCU usage", "WARNING: suspicious RCU usage in {2}", K::kLockdep,
                        CallTrace({"rcu", "kmem", "slab"}), "WARNING: suspicious RCU usage(?:.*\\n)+?.*?{{SRC}}"));
  f.push_back(NoStack(Plain("WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value",
                            "WARNING: kernel stack regs has bad '{1}' value", K::kWarning)));
  f.push_back(NoStack(Plain("WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value",
                            "WARNING: kernel stack frame pointer has bad value", K::kWarning)));
  f.push_back(WithStack("WARNING: bad unlock balance detected!", "WARNING: bad unlock balance in {1}", K::kLockdep,
                        Stack({"{{PC}} +{{FUNC}}", kCallTraceRe, "@stack"})));
  f.push_back(Plain("WARNING: held lock freed!", "WARNING: held lock freed in {1}", K::kLockdep,
                    "WARNING: held lock freed!(?:.*\\n)+?.*at:(?: {{PC}})? +{{FUNC}}"));
  f.push_back(NoStack(Plain("WARNING: kernel stack regs .* has bad 'bp' value", "WARNING: kernel stack regs has bad value",
                            K::kWarning)));
  f.push_back(NoStack(Plain("WARNING: kernel stack frame pointer .* has bad value", "WARNING: kernel stack regs has bad value",
                            K::kWarning)));
  f.push_back(Corrupted(Plain("WARNING:[[:space:]]*(?:\\n|$)", "WARNING: corrupted", K::kWarning)));
  return w;
}

ReportClass InfoClass() {
  ReportClass i;
  i.header = "INFO:";
  i.default_kind = K::kOther;
  i.suppressions = {"INFO: lockdep is turned off", "INFO: Stall ended before state dump start", "INFO: NMI handler",
                    "INFO: recovery required on readonly filesystem", "(handler|interrupt).*took too long",
                    "INFO: sys_.* is not present in /proc/kallsyms", "INFO: no syscalls can create resource",
                    "rmt_storage:INFO:", "_INFO:",
                    // Ours: lockdep's advice after this message is not a report of its own.
                    "INFO: trying to register non-static key\\. The code is fine", "\\wINFO:"};
  auto& f = i.formats;
  // Old kernels print lockdep splats as "INFO:", followed by a " ]" on the header line.
  f.push_back(Plain("INFO: possible circular locking dependency detected", "possible deadlock in {1}", K::kLockdep,
                    "INFO: possible circular locking dependency detected \\](?:.*\\n)+?.*is trying to acquire "
                    "lock(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
  f.push_back(Plain("INFO: possible irq lock inversion dependency detected", "possible deadlock in {1}", K::kLockdep,
                    "INFO: possible irq lock inversion dependency detected \\](?:.*\\n)+?.*just changed the state of "
                    "lock(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
  f.push_back(Plain("INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", "possible deadlock in {1}", K::kLockdep,
                    "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected \\](?:.*\\n)+?.*is trying to "
                    "acquire(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
  f.push_back(Plain("INFO: possible recursive locking detected", "possible deadlock in {1}", K::kLockdep,
                    "INFO: possible recursive locking detected \\](?:.*\\n)+?.*is trying to acquire lock(?:.*\\n)+?.*at: "
                    "{{PC}} +{{FUNC}}"));
  f.push_back(Plain("INFO: inconsistent lock state", "inconsistent lock state in {1}", K::kLockdep,
                    "INFO: inconsistent lock state \\](?:.*\\n)+?.*takes(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
  {
    // The stalled code is what the timer interrupt interrupted: the stack after its entry.
    StackSpec s;
    s.parts = {"apic_timer_interrupt", "{{RIP}}", "@stack"};
    s.fallbacks = {{"apic_timer_interrupt|Exception stack|el1h_64_irq", "@stack"}};
    s.skip = {"apic_timer_interrupt", "rcu"};
    s.extractor = FrameExtractor::kStall;
    f.push_back(Alt(WithStack("INFO: rcu_(?:preempt|sched|bh|tasks|tasks_trace|tasks_rude) (?:self-)?detected(?: expedited)? "
                              "stalls?",
                              "INFO: rcu detected stall in {1}", K::kRcuStall, s),
                    {"stall in {1}"}));
  }
  f.push_back(WithStack("INFO: trying to register non-static key", "INFO: trying to register non-static key in {1}",
                        K::kLockdep, CallTrace({"stack", "lock", "IRQ"})));
  f.push_back(WithStack("INFO: suspicious RCU usage", "INFO: suspicious RCU usage in {2}", K::kLockdep,
                        CallTrace({"rcu", "kmem", "slab"}), "INFO: suspicious RCU usage(?:.*\\n)+?.*?{{SRC}}"));
  f.push_back(Alt(WithStack("INFO: task .*(?:\\n.*)?blocked for more than [0-9]+ seconds", "INFO: task hung in {1}",
                            K::kHungTask, CallTrace({}, FrameExtractor::kHungTask)),
                  {"hang in {1}"}));
  f.push_back(Alt(WithStack("INFO: task .* can't die for more than .* seconds", "INFO: task can't die in {1}",
                            K::kHungTask, CallTrace({"schedule"})),
                  {"hang in {1}"}));
  // Old-style KASAN reports whose header was lost.
  f.push_back(Corrupted(Plain("INFO: (Freed|Allocated) in (.*)", "INFO: {1} in {2}", K::kKasan)));
  f.push_back(Corrupted(Plain("INFO:[[:space:]]*(?:\\n|$)", "INFO: corrupted", K::kOther)));
  return i;
}

ReportClass PanicClass() {
  ReportClass p;
  p.header = "Kernel panic";
  p.default_kind = K::kPanic;
  auto& f = p.formats;
  // The stack protector may fail to name the function, or to unwind the stack.
  f.push_back(NoStack(Plain("Kernel panic - not syncing: stack-protector:", "kernel panic: stack is corrupted in {1}",
                            K::kStackOverflow, "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: {{FUNC}}")));
  f.push_back(WithStack("Kernel panic - not syncing: stack-protector:", "kernel panic: stack is corrupted in {1}",
                        K::kStackOverflow, CallTrace({"stack_chk"}),
                        "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: [a-f0-9]+"));
  f.push_back(Alt(WithStack("Kernel panic - not syncing: corrupted stack end", "kernel panic: corrupted stack end in {1}",
                            K::kStackOverflow, CallTrace({"schedule", "retint_kernel"}, FrameExtractor::kStall),
                            "Kernel panic - not syncing: corrupted stack end detected inside scheduler"),
                  {"stack-overflow in {1}"}));
  f.push_back(Alt(WithStack("Kernel panic - not syncing: kernel stack overflow", "kernel stack overflow in {1}",
                            K::kStackOverflow, CallTrace({"bad_stack"}, FrameExtractor::kStall)),
                  {"stack-overflow in {1}"}));
  f.push_back(Plain("Kernel panic - not syncing: Attempted to kill init!", "kernel panic: Attempted to kill init!", K::kPanic));
  f.push_back(Plain("Kernel panic - not syncing: Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+",
                    "kernel panic: Couldn't open N_TTY ldisc", K::kPanic));
  // These panics follow a report: titled by themselves, the report before them was lost.
  f.push_back(Corrupted(Plain("Kernel panic - not syncing: Fatal exception", "kernel panic: Fatal exception", K::kPanic)));
  f.push_back(Corrupted(Plain("Kernel panic - not syncing: panic_on_warn set", "kernel panic: panic_on_warn set", K::kPanic)));
  f.push_back(Corrupted(Plain("Kernel panic - not syncing: hung_task: blocked tasks", "kernel panic: hung_task: blocked tasks",
                              K::kPanic)));
  // Not the " ]---" of the "---[ end Kernel panic - not syncing: ... ]---" line.
  f.push_back(Plain("Kernel panic - not syncing: (.*?)(?: \\]---)?(?:\n|$)", "kernel panic: {1}", K::kPanic));
  return p;
}

ReportClass KernelBugClass() {
  ReportClass k;
  k.header = "kernel BUG";
  k.default_kind = K::kBug;
  auto& f = k.formats;
  f.push_back(WithStack("kernel BUG at mm/usercopy.c", "BUG: bad usercopy in {1}", K::kBug, CallTrace({"usercopy", "__check"})));
  // Also memory corruption or a race, hence the alternative title.
  f.push_back(Alt(WithStack("kernel BUG at lib/list_debug.c", "BUG: corrupted list in {1}", K::kListCorruption, CallTrace()),
                  {"bad-access in {1}"}));
  // Many skb helpers BUG_ON their arguments: the bug is in the caller.
  f.push_back(WithStack("kernel BUG at (.*)", "kernel BUG in {2}", K::kBug, RipThenCallTrace({"^skb_"})));
  return k;
}

std::vector<ReportClass> Classes() {
  std::vector<ReportClass> c;
  c.push_back(BugClass());
  c.push_back(WarningClass());
  c.push_back(InfoClass());
  // arm and arm64 print page faults without "BUG: "; other "Unable to handle kernel ..." messages
  // (execute from non-executable memory, ...) are titled by their header line.
  c.push_back(Simple("Unable to handle kernel", K::kOops,
                     {Alt(WithStack("Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)",
                                    "BUG: unable to handle kernel {1} in {2}", K::kOops, RipThenCallTrace()),
                          {"bad-access in {2}"})}));
  {
    ReportClass g = Simple("general protection fault", K::kGpf,
                           {Alt(WithStack("general protection fault.*:", "general protection fault in {1}", K::kGpf,
                                          RipThenCallTrace()),
                                {"bad-access in {1}"})});
    // User-space faults the kernel logs ("... error:4 in libc.so").
    g.suppressions = {"general protection fault .* error:\\d+ in ", "general protection fault ip:"};
    c.push_back(std::move(g));
  }
  c.push_back(Simple("stack segment: ", K::kGpf,
                     {WithStack("stack segment: ", "stack segment fault in {1}", K::kGpf, RipThenCallTrace())}));
  c.push_back(PanicClass());
  c.push_back(Simple("PANIC: double fault", K::kDoubleFault,
                     {WithStack("PANIC: double fault", "PANIC: double fault in {1}", K::kDoubleFault, Stack({"{{RIP}}"}))}));
  // The line after the header says what failed ("attempt to add with overflow").
  // A Rust panic BUG()s: an oops, not a kernel panic.
  c.push_back(Simple("rust_kernel: panicked", K::kBug,
                     {WithStack("rust_kernel: panicked", "{1} in {2}", K::kBug,
                                CallTrace({"__rustc::rust_begin_unwind"}), "rust_kernel: panicked at [^\\n]*?\\n(.+?)\\n")}));
  c.push_back(KernelBugClass());
  c.push_back(Simple("Kernel BUG", K::kBug, {Plain("Kernel BUG (.*)", "kernel BUG {1}", K::kBug)}));
  c.push_back(Simple("BUG kmalloc-", K::kBug,
                     {Plain("BUG kmalloc-.*: Object already free", "BUG: Object already free", K::kBug)}));
  c.push_back(Simple("divide error:", K::kOops,
                     {WithStack("divide error: ", "divide error in {1}", K::kOops, Stack({"{{RIP}}"}))}));
  // The same, misspelled since 5.9 (the IDTENTRY conversion).
  c.push_back(Simple("divide_error:", K::kOops,
                     {WithStack("divide_error: ", "divide error in {1}", K::kOops, Stack({"{{RIP}}"}))}));
  c.push_back(Simple("invalid opcode:", K::kBug,
                     {WithStack("invalid opcode: ", "invalid opcode in {1}", K::kBug, Stack({"{{RIP}}"}))}));
  c.push_back(Simple("int3:", K::kBug, {WithStack("int3: ", "int3 in {1}", K::kBug, RipThenCallTrace())}));
  c.push_back(Simple("UBSAN:", K::kUbsan,
                     {WithStack("UBSAN:", "UBSAN: undefined-behaviour in {1}", K::kUbsan, CallTrace({"ubsan", "overflow"}),
                                "UBSAN: Undefined behaviour in"),
                      Alt(WithStack("UBSAN: array-index-out-of-bounds in", "UBSAN: array-index-out-of-bounds in {1}",
                                    K::kUbsan, CallTrace({"ubsan", "overflow"})),
                          {"bad-access in {1}"}),
                      WithStack("UBSAN:", "UBSAN: {1} in {2}", K::kUbsan, CallTrace({"ubsan", "overflow"}),
                                "UBSAN: (.*?) in")}));
  {
    // A fuzzer echoing boot messages back as mount options makes the kernel print them again.
    ReportClass b = Simple("Booting the kernel.", K::kOther,
                           {NoStack(Plain("Booting the kernel", "unexpected kernel reboot", K::kOther))});
    b.suppressions = {"Parsing ELF|Decompressing Linux|Unknown parameter '"};
    c.push_back(std::move(b));
  }
  c.push_back(Simple("unregister_netdevice: waiting for", K::kNetdevUnregisterWait,
                     {NoStack(Plain("unregister_netdevice: waiting for (?:.*) to become free",
                                    "unregister_netdevice: waiting for DEV to become free", K::kNetdevUnregisterWait))}));
  // Old kernels' own checks for a file or inode used after being freed.
  c.push_back(Simple("VFS: Close: file count is 0", K::kBug,
                     {NoStack(Plain("VFS: Close: file count is 0", "VFS: Close: file count is zero (use-after-free)",
                                    K::kBug))}));
  c.push_back(Simple("VFS: Busy inodes after unmount", K::kBug,
                     {NoStack(Plain("VFS: Busy inodes after unmount", "VFS: Busy inodes after unmount (use-after-free)",
                                    K::kBug))}));
  // arm64 reports some faults as "Internal error: synchronous external abort" where arm says
  // "Unable to handle kernel paging request": the alternative title joins them.
  c.push_back(Simple("Internal error:", K::kOops,
                     {Alt(WithStack("Internal error:", "Internal error in {1}", K::kOops, RipThenCallTrace()),
                          {"bad-access in {1}"})}));
  c.push_back(Simple("Unhandled fault:", K::kOops,
                     {Alt(WithStack("Unhandled fault:", "Unhandled fault in {1}", K::kOops, RipThenCallTrace()),
                          {"bad-access in {1}"})}));
  c.push_back(Simple("Alignment trap:", K::kOops,
                     {WithStack("Alignment trap:", "Alignment trap in {1}", K::kOops, RipThenCallTrace())}));
  c.push_back(Simple("trusty: panic", K::kPanic,
                     {NoStack(Plain("trusty: panic.* ASSERT FAILED", "trusty: ASSERT FAILED: {1}", K::kPanic,
                                    "trusty: panic \\(.*?\\):(?: DEBUG)? ASSERT FAILED at \\(.*?\\): (.+)")),
                      Corrupted(Plain("trusty: panic.* ASSERT FAILED.*: *(.*)", "trusty: ASSERT FAILED: {1}", K::kPanic)),
                      NoStack(Plain("trusty: panic", "trusty: panic: {1}", K::kPanic, "trusty: panic \\(.*?\\): (.+)"))}));
  // A Go program on the machine (the fuzzer's own tools) crashed.
  {
    ReportClass g = Simple("fatal error:", K::kOther, {NoStack(Plain("fatal error:", "go runtime error", K::kOther))});
    // Ours: a compiler's diagnostics ("foo.c:1:10: fatal error:", "gcc: fatal error:") in a build log.
    g.suppressions = {"ALSA", "fatal error: cannot create timer", "[\\w.)]: fatal error:"};
    c.push_back(std::move(g));
  }
  // Messages of syzkaller's own executor and tools. (Its generic "panic:" class, for Go programs,
  // is left out: every user-space Go panic in a system log would become a kernel crash.)
  c.push_back(Simple("SYZFAIL:", K::kOther, {NoStack(Plain("SYZFAIL:(.*)", "SYZFAIL:{1}", K::kOther))}));
  c.push_back(Simple("SYZFATAL:", K::kOther,
                     {NoStack(Alt(Plain("SYZFATAL:(.*)()", "SYZFATAL:{1}", K::kOther), {"SYZFATAL{2}"}))}));

  // ---- Classes a fleet cares about that syzkaller does not call crashes ----------------------
  // IRQs are off while a hard lockup spins, so the spinning function is on top: the first
  // non-generic frame names it (unlike soft lockups and stalls).
  c.push_back(Simple("Watchdog detected hard LOCKUP", K::kHardLockup,
                     {WithStack("Watchdog detected hard LOCKUP on cpu", "hard lockup in {1}", K::kHardLockup,
                                RipThenCallTrace())},
                     true));
  c.push_back(Simple("NMI watchdog: Watchdog detected hard LOCKUP", K::kHardLockup,
                     {WithStack("hard LOCKUP", "hard lockup in {1}", K::kHardLockup, RipThenCallTrace())}, true));
  c.push_back(Simple("Out of memory: Kill", K::kOomKill,
                     {NoStack(Plain("Out of memory: Kill(?:ed)? process [0-9]+ \\(([^)]*)\\)", "out of memory: killed {1}",
                                    K::kOomKill))},
                     true));
  c.push_back(Simple(" invoked oom-killer:", K::kOomKill,
                     {NoStack(Plain("(\\S+) invoked oom-killer:", "out of memory: {1} invoked oom-killer", K::kOomKill))},
                     true));
  c.push_back(Simple("Memory cgroup out of memory:", K::kOomKill,
                     {NoStack(Plain("Memory cgroup out of memory: Kill(?:ed)? process [0-9]+ \\(([^)]*)\\)",
                                    "memory cgroup out of memory: killed {1}", K::kOomKill))},
                     true));
  c.push_back(Simple(": page allocation failure:", K::kPageAllocFailure,
                     {WithStack("page allocation failure: order:([0-9]+)", "page allocation failure: order {1} in {2}",
                                K::kPageAllocFailure,
                                CallTrace({"warn_alloc", "alloc_pages", "__alloc_pages", "kmalloc", "kmem_cache",
                                           "alloc_skb", "__alloc_skb", "slab", "kvmalloc", "kzalloc", "__kmalloc",
                                           "folio_alloc", "allocate_slab", "new_slab", "___slab_alloc"}))},
                     true));
  c.push_back(Simple("NETDEV WATCHDOG:", K::kNetdevWatchdog,
                     {NoStack(Plain("NETDEV WATCHDOG: (\\S+) \\(([^)]*)\\): transmit queue [0-9]+ timed out",
                                    "NETDEV WATCHDOG: transmit queue timed out on {2}", K::kNetdevWatchdog))},
                     true));
  c.push_back(Simple("[Hardware Error]:", K::kMce,
                     {NoStack(Plain("\\[Hardware Error\\]: (?:CPU [0-9]+: )?(Machine Check(?: Exception)?|.*?)(?::|$)",
                                    "MCE: hardware error: {1}", K::kMce))},
                     true));
  c.push_back(Simple("Machine check events logged", K::kMce,
                     {NoStack(Plain("Machine check events logged", "MCE: machine check events logged", K::kMce))}, true));
  c.push_back(Simple("NMI backtrace for cpu", K::kNmiBacktrace,
                     {WithStack("NMI backtrace for cpu ([0-9]+)", "NMI backtrace in {2}", K::kNmiBacktrace,
                                RipThenCallTrace({"nmi_", "cpu_idle", "default_idle", "native_safe_halt", "arch_cpu_idle",
                                                  "do_idle"}))},
                     true));
  // Stacks printed by tracing tools: ftrace's stacktrace trigger and perf-tools' kprobe -s
  // ("<stack trace>"), trace-cmd report ("<stack trace >"), perf script's callchains and bpftrace's
  // kstack map. Their titles end in the first frame that is not tracing machinery, which
  // log_analysis adds from the parsed frames (" in __put_net").
  c.push_back(Simple("<stack trace", K::kFtraceStack, {NoStack(Plain("<stack trace", "ftrace stack", K::kFtraceStack))},
                     true));
  c.push_back(Simple("([kernel.kallsyms])", K::kFtraceStack,
                     {NoStack(Plain("\\(\\[kernel\\.kallsyms\\]\\)", "perf callchain", K::kFtraceStack))}, true));
  c.push_back(Simple("@[", K::kFtraceStack, {NoStack(Plain("@\\[", "bpftrace stack", K::kFtraceStack))}, true));
  // Debug-list corruption as printed before the BUG/WARNING that follows it: titled as syzkaller
  // titles that BUG ("kernel BUG at lib/list_debug.c").
  c.push_back(Simple("list_add corruption", K::kListCorruption,
                     {WithStack("list_add corruption", "BUG: corrupted list in {1}", K::kListCorruption,
                                RipThenCallTrace({"list_", "__list"}))}));
  c.push_back(Simple("list_del corruption", K::kListCorruption,
                     {WithStack("list_del corruption", "BUG: corrupted list in {1}", K::kListCorruption,
                                RipThenCallTrace({"list_", "__list"}))}));
  c.push_back(Simple("kernel stack overflow", K::kStackOverflow,
                     {WithStack("kernel stack overflow", "kernel stack overflow in {1}", K::kStackOverflow,
                                Stack({"{{RIP}}"}))},
                     true));
  return c;
}

}  // namespace

std::vector<ReportClass> BuiltinReportClasses() { return Classes(); }

}  // namespace ktriage
