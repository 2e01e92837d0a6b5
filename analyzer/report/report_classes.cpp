// The built-in report classes: how each kind of kernel report starts and how it is titled.
// Order matters twice: classes are tried in order on each line, and within a class the format
// whose title matches earliest in the report wins (ties: the first listed).
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

StackSpec Stack(std::vector<std::string> parts, std::vector<std::string> skip = {},
                FrameExtractor ex = FrameExtractor::kFirst) {
  return StackSpec{std::move(parts), {}, std::move(skip), ex};
}

// WARNINGs trap on newer kernels, so the stack starts after the RIP line; older kernels (and ppc,
// which prints "--- interrupt:") just print a Call Trace.
StackSpec WarningStack(std::vector<std::string> skip = {}) {
  StackSpec s;
  s.parts = {"(?:{{RIP}}|--- interrupt: [0-9]+ at {{FUNC}})", "@stack"};
  s.fallbacks = {{"Call (?:T|t)race:", "@stack"}};
  s.skip = std::move(skip);
  return s;
}

TitleFormat WithStack(std::string title, std::string format, K kind, StackSpec stack,
                      std::string report = "") {
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

const std::vector<std::string> kRipThenCallTrace = {"{{RIP}}", "Call (?:T|t)race:", "@stack"};
const std::vector<std::string> kCallTrace = {"Call (?:T|t)race:", "@stack"};

std::vector<ReportClass> Classes() {
  std::vector<ReportClass> c;

  // ---- "BUG:" family -----------------------------------------------------------------------
  {
    ReportClass b;
    b.header = "BUG:";
    b.default_kind = K::kBug;
    b.suppressions = {"ODEBUG:", "Boot_DEBUG:", "xlog_status:", "DEBUG:", "BUG: no syscalls can create resource"};
    auto& f = b.formats;
    f.push_back(WithStack("BUG: KASAN:", "KASAN: {1} {3} in {4}", K::kKasan,
                          Stack({"BUG: KASAN: (?:[a-z\\-]+) in {{FUNC}}", "Call (?:T|t)race:", "@stack"}),
                          "BUG: KASAN: ([a-z\\-]+) in {{FUNC}}(?:.*\\n)+?.*(Read|Write) (?:of size|at addr) (?:[0-9a-f]+)"));
    f.push_back(WithStack("BUG: KASAN:", "KASAN: invalid-free in {2}", K::kKasan,
                          Stack({"BUG: KASAN: double-free or invalid-free in {{FUNC}}", "Call (?:T|t)race:", "@stack"},
                                {"kmem_", "slab_", "kfree", "vunmap", "vfree"}),
                          "BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}"));
    f.push_back(Plain("BUG: KASAN: ([a-z\\-]+) on address(?:.*\\n)+?.*(Read|Write) of size ([0-9]+)",
                      "KASAN: {1} {2}", K::kKasan));
    f.push_back(Plain("BUG: KASAN: (.*?) in {{FUNC}}(?:.*\\n)+?.*(Read|Write) at addr", "KASAN: {1} {3} in {2}", K::kKasan));
    f.push_back(Corrupted(Plain("BUG: KASAN: (.*)", "KASAN: {1}", K::kKasan)));
    f.push_back(WithStack("BUG: KMSAN: kernel-usb-infoleak", "KMSAN: kernel-usb-infoleak in {2}", K::kKmsan,
                          Stack(kCallTrace, {"usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg",
                                             "usb_interrupt_msg", "usb_control_msg"}),
                          "BUG: KMSAN: kernel-usb-infoleak in {{FUNC}}"));
    {
      // KMSAN prints the stack right after its header, with no "Call (?:T|t)race:" on newer kernels.
      StackSpec st;
      st.parts = {"@stack"};
      st.fallbacks = {kCallTrace};
      st.skip = {"copy_to_user", "copy_from_user", "_copy_to_iter", "copy_page_to_iter", "copyout", "copyin",
                 "instrument_", "kmsan", "__msan", "memcpy", "memmove"};
      TitleFormat kmsan = WithStack("BUG: KMSAN:", "KMSAN: {1} in {3}", K::kKmsan, st, "BUG: KMSAN: ([a-z\\-]+) in {{FUNC}}");
      kmsan.no_stack_trace = true;  // the frames follow the header with no "Call Trace:" line
      f.push_back(kmsan);
    }
    f.push_back(NoStack(Plain("BUG: KCSAN: data-race in ([a-zA-Z0-9_.]+) / ([a-zA-Z0-9_.]+)",
                              "KCSAN: data-race in {1} / {2}", K::kKcsan)));
    f.push_back(NoStack(Plain("BUG: KCSAN: (.*)", "KCSAN: {1}", K::kKcsan)));
    f.push_back(NoStack(Plain("BUG: KFENCE: ((?:use-after-free|out-of-bounds|invalid|memory corruption|invalid free)(?: read| write)?) in {{FUNC}}",
                              "KFENCE: {1} in {2}", K::kKfence)));
    f.push_back(WithStack("BUG: (?:unable to handle kernel paging request|unable to handle page fault for address|Unable to handle kernel data access|Unable to handle kernel access to user memory)",
                          "BUG: unable to handle kernel paging request in {1}", K::kOops,
                          Stack(kRipThenCallTrace)));
    f.push_back(WithStack("BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|Kernel NULL pointer dereference)",
                          "BUG: unable to handle kernel NULL pointer dereference in {1}", K::kOops,
                          Stack(kRipThenCallTrace)));
    // The second half of this header is a separate printk and is often lost or mangled.
    f.push_back(Corrupted(Plain("BUG: (?:unable to handle kernel|Unable to handle kernel)",
                                "BUG: unable to handle kernel", K::kOops)));
    f.push_back(WithStack("BUG: (?:spinlock|rwlock) (lockup suspected|already unlocked|recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP)",
                          "BUG: spinlock {1} in {2}", K::kBug, Stack(kCallTrace, {"spin_", "_lock", "_unlock"})));
    f.push_back(WithStack("BUG: soft lockup", "BUG: soft lockup in {1}", K::kSoftLockup,
                          Stack(kRipThenCallTrace, {}, FrameExtractor::kStall)));
    f.push_back(Plain("BUG: .*still has locks held!", "BUG: still has locks held in {1}", K::kLockdep,
                      "BUG: .*still has locks held!(?:.*\\n)+?.*{{PC}} +{{FUNC}}"));
    f.push_back(NoStack(Plain("BUG: lock held when returning to user space", "BUG: lock held when returning to user space in {1}",
                              K::kLockdep,
                              "BUG: lock held when returning to user space(?:.*\\n)+?.*leaving the kernel with locks still held(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}")));
    f.push_back(WithStack("BUG: bad unlock balance detected!", "BUG: bad unlock balance in {1}", K::kLockdep,
                          Stack({"is trying to release lock", "(?:{{PC}} +)?{{FUNC}}"})));
    f.push_back(Plain("BUG: held lock freed!", "BUG: held lock freed in {1}", K::kLockdep,
                      "BUG: held lock freed!(?:.*\\n)+?.*{{PC}} +{{FUNC}}"));
    f.push_back(NoStack(Plain("BUG: Bad rss-counter state", "BUG: Bad rss-counter state", K::kBug)));
    f.push_back(NoStack(Plain("BUG: non-zero nr_ptes on freeing mm", "BUG: non-zero nr_ptes on freeing mm", K::kBug)));
    f.push_back(NoStack(Plain("BUG: non-zero nr_pmds on freeing mm", "BUG: non-zero nr_pmds on freeing mm", K::kBug)));
    f.push_back(NoStack(Plain("BUG: Dentry .* still in use \\([0-9]+\\) \\[(unmount) of ([^\\]]+)\\]",
                              "BUG: Dentry still in use in {1}", K::kBug)));
    f.push_back(WithStack("BUG: Invalid wait context", "WARNING: locking bug in {1}", K::kLockdep, Stack(kCallTrace)));
    f.push_back(WithStack("BUG: Bad page (state|cache)", "BUG: Bad page {1} in {2}", K::kBug,
                          Stack(kCallTrace, {"free_pages", "free_pages_prepare", "free_pcp", "free_unref", "bad_page", "check_free_page", "put_page", "release_pages", "__folio_put", "folio_put", "__free_", "free_hot_cold", "page_frag_free", "skb_free", "free_pages_ok", "__put_page", "page_pool", "__page_pool", "check_new_page", "prep_new_page", "get_page_from_freelist", "alloc_pages", "__alloc_pages", "folio_alloc", "rmqueue"})));
    f.push_back(Plain("BUG: Bad page map", "BUG: Bad page map", K::kBug));
    f.push_back(NoStack(Plain("BUG: workqueue lockup", "BUG: workqueue lockup", K::kWorkqueueLockup)));
    f.push_back(WithStack("BUG: sleeping function called from invalid context at (.*)",
                          "BUG: sleeping function called from invalid context in {2}", K::kSleepInAtomic, Stack(kCallTrace)));
    f.push_back(WithStack("BUG: scheduling while atomic", "BUG: scheduling while atomic in {1}", K::kSleepInAtomic,
                          Stack(kCallTrace, {"schedule", "preempt", "__schedule_bug"})));
    f.push_back(WithStack("BUG: using ([a-z_]+)\\(\\) in preemptible",
                          "BUG: using {1}() in preemptible code in {2}", K::kSleepInAtomic,
                          Stack(kCallTrace, {"dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu"})));
    f.push_back(NoStack(Plain("BUG: workqueue leaked lock or atomic", "BUG: workqueue leaked lock or atomic in {1}", K::kLockdep,
                              "BUG: workqueue leaked lock or atomic(?:.*\\n)+?.*last function: ([a-zA-Z0-9_]+)\\n")));
    f.push_back(WithStack("BUG: memory leak", "memory leak in {1}", K::kMemoryLeak,
                          Stack({"backtrace(?: \\(crc [[:xdigit:]]+\\))?:", "@stack"},
                                {"kmemleak", "kmalloc", "kcalloc", "kzalloc", "krealloc", "vmalloc", "mmap", "kmem", "slab", "alloc",
                                 "create_object", "idr_get", "list_lru_init", "kasprintf", "kvasprintf", "pcpu_create",
                                 "strdup", "strndup", "memdup", "kobject_set_name", "kstrdup"})));
    {
      TitleFormat t = WithStack("BUG: stack guard page was hit at", "BUG: stack guard page was hit in {1}", K::kStackOverflow,
                                Stack({"{{RIP}}"}));
      t.no_stack_trace = true;
      f.push_back(t);
    }
    f.push_back(NoStack(Plain("BUG: MAX_STACK_TRACE_ENTRIES too low!", "BUG: MAX_STACK_TRACE_ENTRIES too low!", K::kLockdep)));
    f.push_back(Corrupted(Plain("BUG:[[:space:]]*(?:\\n|$)", "BUG: corrupted", K::kBug)));
    c.push_back(std::move(b));
  }

  // ---- "WARNING:" family --------------------------------------------------------------------
  {
    ReportClass w;
    w.header = "WARNING:";
    w.default_kind = K::kWarning;
    w.suppressions = {"WARNING: /etc/ssh/moduli does not exist", "WARNING: workqueue cpumask: online intersect > possible intersect",
                      "(?i)WARNING: the mand mount option", "WARNING: Unsupported flag value", "WARNING: fbcon: Driver",
                      "WARNING: `", "WARNING: Reset corrupted AGFL", "\\wWARNING:"};
    auto& f = w.formats;
    f.push_back(WithStack("WARNING: .*lib/debugobjects\\.c", "WARNING: ODEBUG bug in {1}", K::kWarning,
                          WarningStack({"debug_", "rcu", "hrtimer_", "timer_", "work_", "percpu_", "kmem_", "slab_", "kfree",
                                        "vunmap", "vfree", "__free_", "debug_check", "kobject_"})));
    f.push_back(WithStack("WARNING: .*mm/usercopy\\.c", "WARNING: bad usercopy in {1}", K::kWarning,
                          WarningStack({"usercopy", "__check"})));
    f.push_back(WithStack("WARNING: .*lib/kobject\\.c", "WARNING: kobject bug in {1}", K::kWarning,
                          WarningStack({"kobject_"})));
    f.push_back(WithStack("WARNING: .*fs/proc/generic\\.c", "WARNING: proc registration bug in {1}", K::kWarning,
                          WarningStack({"proc_"})));
    f.push_back(WithStack("WARNING: .*lib/refcount\\.c", "WARNING: refcount bug in {1}", K::kWarning,
                          WarningStack({"refcount", "kobject_"})));
    f.push_back(WithStack("WARNING: .*kernel/locking/lockdep\\.c", "WARNING: locking bug in {1}", K::kLockdep,
                          WarningStack({"lock_sock", "release_sock"})));
    f.push_back(NoStack(Plain("WARNING: lock held when returning to user space", "WARNING: lock held when returning to user space in {1}", K::kLockdep,
                              "WARNING: lock held when returning to user space(?:.*\\n)+?.*leaving the kernel with locks still held(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}")));
    f.push_back(WithStack("WARNING: .*mm/.*\\.c.* k?.?malloc", "WARNING: kmalloc bug in {1}", K::kWarning,
                          WarningStack({"kmalloc", "krealloc", "kcalloc", "kzalloc", "vmalloc", "slab", "kmem"})));
    f.push_back(WithStack("WARNING: .*mm/vmalloc\\.c.*__vmalloc_node", "WARNING: zero-size vmalloc in {1}", K::kWarning,
                          WarningStack({"vmalloc", "vzalloc", "kvmalloc", "kvzalloc", "__vmalloc"})));
    f.push_back(WithStack("WARNING: .* usb_submit_urb", "WARNING in {1}/usb_submit_urb", K::kWarning,
                          WarningStack({"usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg", "usb_interrupt_msg", "usb_control_msg"})));
    f.push_back(WithStack("WARNING: .* at {{SRC}} {{FUNC}}", "WARNING in {3}", K::kWarning, WarningStack()));
    // 6.17+: "WARNING: [cond] fs/jfs/jfs_dmap.c:2879 at dbAdjTree, CPU: jfsCommit/123".
    f.push_back(WithStack("WARNING: (?:\\[.*\\] )?{{SRC}} at \\S+, CPU", "WARNING in {2}",
                          K::kWarning, WarningStack()));
    f.push_back(WithStack("WARNING: .* at {{SRC}}", "WARNING in {2}", K::kWarning, WarningStack()));
    f.push_back(WithStack("WARNING: possible circular locking dependency detected", "possible deadlock in {1}", K::kLockdep,
                          Stack({"at: (?:{{PC}} +)?{{FUNC}}", "at: (?:{{PC}} +)?{{FUNC}}", "@stack"},
                                {"process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue"}),
                          "WARNING: possible circular locking dependency detected(?:.*\\n)+?.*is trying to acquire lock"));
    f.push_back(Plain("WARNING: possible irq lock inversion dependency detected", "possible deadlock in {1}", K::kLockdep,
                      "WARNING: possible irq lock inversion dependency detected(?:.*\\n)+?.*just changed the state of lock(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"));
    f.push_back(Plain("WARNING: .*-safe -> .*-unsafe lock order detected", "possible deadlock in {1}", K::kLockdep,
                      "WARNING: .*-safe -> .*-unsafe lock order detected(?:.*\\n)+?.*is trying to acquire(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"));
    f.push_back(Plain("WARNING: possible recursive locking detected", "possible deadlock in {1}", K::kLockdep,
                      "WARNING: possible recursive locking detected(?:.*\\n)+?.*is trying to acquire lock(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"));
    f.push_back(Plain("WARNING: inconsistent lock state", "inconsistent lock state in {1}", K::kLockdep,
                      "WARNING: inconsistent lock state(?:.*\\n)+?.*takes(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"));
    f.push_back(WithStack("WARNING: suspicious RCU usage", "WARNING: suspicious RCU usage in {2}", K::kLockdep,
                          Stack(kCallTrace, {"rcu", "kmem", "slab", "kmalloc", "vmalloc", "kcalloc", "kzalloc"}),
                          "WARNING: suspicious RCU usage(?:.*\\n)+?.*?{{SRC}}"));
    f.push_back(NoStack(Plain("WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value",
                              "WARNING: kernel stack regs has bad '{1}' value", K::kWarning)));
    f.push_back(NoStack(Plain("WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value",
                              "WARNING: kernel stack frame pointer has bad value", K::kWarning)));
    f.push_back(Plain("WARNING: bad unlock balance detected!", "WARNING: bad unlock balance in {1}", K::kLockdep,
                      "WARNING: bad unlock balance detected!(?:.*\\n){0,15}?.*is trying to release lock(?:.*\\n){0,15}?.*{{PC}} +{{FUNC}}"));
    f.push_back(Plain("WARNING: held lock freed!", "WARNING: held lock freed in {1}", K::kLockdep,
                      "WARNING: held lock freed!(?:.*\\n)+?.*at:(?: {{PC}})? +{{FUNC}}"));
    f.push_back(Plain("WARNING: .*still has locks held!", "WARNING: still has locks held in {1}", K::kLockdep,
                      "WARNING: .*still has locks held!(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"));
    f.push_back(Plain("WARNING: Nested lock was not taken", "WARNING: nested lock was not taken in {1}", K::kLockdep,
                      "WARNING: Nested lock was not taken(?:.*\\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"));
    f.push_back(NoStack(Plain("WARNING: kernel stack regs .* has bad 'bp' value", "WARNING: kernel stack regs has bad value", K::kWarning)));
    f.push_back(NoStack(Plain("WARNING: kernel stack frame pointer .* has bad value", "WARNING: kernel stack regs has bad value", K::kWarning)));
    f.push_back(Corrupted(Plain("WARNING:[[:space:]]*(?:\\n|$)", "WARNING: corrupted", K::kWarning)));
    c.push_back(std::move(w));
  }

  // ---- "INFO:" family -----------------------------------------------------------------------
  {
    ReportClass i;
    i.header = "INFO:";
    i.default_kind = K::kOther;
    i.suppressions = {"INFO: lockdep is turned off", "INFO: Stall ended before state dump start", "INFO: NMI handler",
                      "INFO: recovery required on readonly filesystem", "(handler|interrupt).*took too long", "_INFO::",
                      "INFO: sys_.* is not present in /proc/kallsyms", "INFO: no syscalls can create resource",
                      "INFO: trying to register non-static key\\. The code is fine", "\\wINFO:"};
    auto& f = i.formats;
    f.push_back(Plain("INFO: possible circular locking dependency detected", "possible deadlock in {1}", K::kLockdep,
                      "INFO: possible circular locking dependency detected \\](?:.*\\n)+?.*is trying to acquire lock(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
    f.push_back(Plain("INFO: possible irq lock inversion dependency detected", "possible deadlock in {1}", K::kLockdep,
                      "INFO: possible irq lock inversion dependency detected \\](?:.*\\n)+?.*just changed the state of lock(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
    f.push_back(Plain("INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", "possible deadlock in {1}", K::kLockdep,
                      "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected \\](?:.*\\n)+?.*is trying to acquire(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
    f.push_back(Plain("INFO: possible recursive locking detected", "possible deadlock in {1}", K::kLockdep,
                      "INFO: possible recursive locking detected \\](?:.*\\n)+?.*is trying to acquire lock(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
    f.push_back(Plain("INFO: inconsistent lock state", "inconsistent lock state in {1}", K::kLockdep,
                      "INFO: inconsistent lock state \\](?:.*\\n)+?.*takes(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}"));
    {
      StackSpec s;
      s.parts = {"apic_timer_interrupt|Exception stack|el1h_64_irq|sysvec_apic_timer", "{{RIP}}", "@stack"};
      // No fallback to an NMI backtrace: after "Stack dump where RCU GP kthread last ran" it shows
      // a CPU that is not necessarily the stalled one (syzkaller calls such stalls corrupted too).
      s.fallbacks = {{"apic_timer_interrupt|Exception stack|el1h_64_irq|sysvec_apic_timer", "@stack"}};
      s.skip = {"apic_timer_interrupt", "rcu"};
      s.extractor = FrameExtractor::kStall;
      f.push_back(WithStack("INFO: rcu_(?:preempt|sched|bh|tasks|tasks_trace|tasks_rude) (?:self-)?detected(?: expedited)? stalls?",
                            "INFO: rcu detected stall in {1}", K::kRcuStall, s));
    }
    f.push_back(WithStack("INFO: trying to register non-static key", "INFO: trying to register non-static key in {1}", K::kLockdep,
                          Stack(kCallTrace, {"stack", "lock", "IRQ"})));
    f.push_back(WithStack("INFO: suspicious RCU usage", "INFO: suspicious RCU usage in {2}", K::kLockdep,
                          Stack(kCallTrace, {"rcu", "kmem", "slab", "kmalloc", "vmalloc", "kcalloc", "kzalloc"}),
                          "INFO: suspicious RCU usage(?:.*\\n)+?.*?{{SRC}}"));
    f.push_back(WithStack("INFO: task .*(?:\\n.*)?blocked for more than [0-9]+ seconds", "INFO: task hung in {1}", K::kHungTask,
                          Stack(kCallTrace, {}, FrameExtractor::kHungTask)));
    f.push_back(WithStack("INFO: task .* can't die for more than .* seconds", "INFO: task can't die in {1}", K::kHungTask,
                          Stack(kCallTrace, {"schedule"})));
    // Old-style KASAN reports whose header was lost.
    f.push_back(Corrupted(Plain("INFO: (Freed|Allocated) in (.*)", "INFO: {1} in {2}", K::kKasan)));
    f.push_back(Corrupted(Plain("INFO:[[:space:]]*(?:\\n|$)", "INFO: corrupted", K::kOther)));
    c.push_back(std::move(i));
  }

  // arm64 and arm (and x86 before 4.x) print the NULL dereference without "BUG: ".
  c.push_back(ReportClass{"Unable to handle kernel NULL pointer dereference", {},
                          {WithStack("Unable to handle kernel NULL pointer dereference",
                                     "BUG: unable to handle kernel NULL pointer dereference in {1}", K::kOops,
                                     Stack({"(?:PC is at|pc : ) ?{{FUNC}}", "@stack"}))},
                          false, K::kOops});
  c.push_back(ReportClass{"Unable to handle kernel paging request", {},
                          {WithStack("Unable to handle kernel paging request", "BUG: unable to handle kernel paging request in {1}", K::kOops,
                                     Stack({"(?:PC is at|pc : ) ?{{FUNC}}"}))},
                          false, K::kOops});
  c.push_back(ReportClass{"general protection fault", {"general protection fault ip:"},
                          {WithStack("general protection fault.*:", "general protection fault in {1}", K::kGpf, Stack(kRipThenCallTrace))},
                          false, K::kGpf});
  c.push_back(ReportClass{"stack segment: ", {},
                          {WithStack("stack segment: ", "stack segment fault in {1}", K::kGpf, Stack(kRipThenCallTrace))},
                          false, K::kGpf});
  {
    ReportClass p;
    p.header = "Kernel panic";
    p.default_kind = K::kPanic;
    auto& f = p.formats;
    f.push_back(NoStack(Plain("Kernel panic - not syncing: stack-protector:", "kernel panic: stack is corrupted in {1}", K::kStackOverflow,
                              "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: {{FUNC}}")));
    f.push_back(WithStack("Kernel panic - not syncing: stack-protector:", "kernel panic: stack is corrupted in {1}", K::kStackOverflow,
                          Stack(kCallTrace, {"stack_chk"}),
                          "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: [a-f0-9]+"));
    f.push_back(WithStack("Kernel panic - not syncing: corrupted stack end", "kernel panic: corrupted stack end in {1}", K::kStackOverflow,
                          Stack(kCallTrace, {"schedule", "retint_kernel"}, FrameExtractor::kStall),
                          "Kernel panic - not syncing: corrupted stack end detected inside scheduler"));
    f.push_back(Plain("Kernel panic - not syncing: Attempted to kill init!", "kernel panic: Attempted to kill init!", K::kPanic));
    f.push_back(Plain("Kernel panic - not syncing: Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+",
                      "kernel panic: Couldn't open N_TTY ldisc", K::kPanic));
    // These panics follow a report whose beginning was lost: the real report is missing.
    f.push_back(Corrupted(Plain("Kernel panic - not syncing: (?:Oops: )?Fatal exception", "kernel panic: Fatal exception", K::kPanic)));
    f.push_back(Corrupted(Plain("Kernel panic - not syncing: panic_on_warn set", "kernel panic: panic_on_warn set", K::kPanic)));
    f.push_back(Corrupted(Plain("Kernel panic - not syncing: hung_task: blocked tasks", "kernel panic: hung_task: blocked tasks", K::kPanic)));
    // Not the " ]---" of the "---[ end Kernel panic - not syncing: ... ]---" line.
    f.push_back(Plain("Kernel panic - not syncing: (.*?)(?: \\]---)?(?:\n|$)", "kernel panic: {1}", K::kPanic));
    c.push_back(std::move(p));
  }
  c.push_back(ReportClass{"PANIC: double fault", {},
                          {WithStack("PANIC: double fault", "PANIC: double fault in {1}", K::kDoubleFault, Stack({"{{RIP}}"}))},
                          false, K::kDoubleFault});
  {
    ReportClass k;
    k.header = "kernel BUG";
    k.default_kind = K::kBug;
    auto& f = k.formats;
    f.push_back(WithStack("kernel BUG at mm/usercopy.c", "BUG: bad usercopy in {1}", K::kBug,
                          Stack(kCallTrace, {"usercopy", "__check"})));
    f.push_back(WithStack("kernel BUG at lib/list_debug.c", "BUG: corrupted list in {1}", K::kListCorruption,
                          Stack(kCallTrace, {"list_", "__list"})));
    {
      StackSpec s;
      s.parts = {"{{RIP}}", "@stack"};
      s.fallbacks = {{"Call (?:T|t)race:", "@stack"}};
      f.push_back(WithStack("kernel BUG at (.*)", "kernel BUG in {2}", K::kBug, s));
    }
    c.push_back(std::move(k));
  }
  c.push_back(ReportClass{"Kernel BUG", {}, {Plain("Kernel BUG (.*)", "kernel BUG {1}", K::kBug)}, false, K::kBug});
  c.push_back(ReportClass{"BUG kmalloc-", {}, {Plain("BUG kmalloc-.*: Object already free", "BUG: Object already free", K::kBug)}, false, K::kBug});
  c.push_back(ReportClass{"divide error:", {},
                          {WithStack("divide error: ", "divide error in {1}", K::kOops, Stack({"{{RIP}}"}))}, false, K::kOops});
  c.push_back(ReportClass{"divide_error:", {},
                          {WithStack("divide_error: ", "divide error in {1}", K::kOops, Stack({"{{RIP}}"}))}, false, K::kOops});
  c.push_back(ReportClass{"invalid opcode:", {},
                          {WithStack("invalid opcode: ", "invalid opcode in {1}", K::kBug, Stack({"{{RIP}}"}))}, false, K::kBug});
  c.push_back(ReportClass{"int3:", {},
                          {WithStack("int3: ", "int3 in {1}", K::kBug, Stack({"{{RIP}}"}))}, false, K::kBug});
  c.push_back(ReportClass{"UBSAN:", {},
                          {WithStack("UBSAN:", "UBSAN: undefined-behaviour in {1}", K::kUbsan, Stack(kCallTrace, {"ubsan", "overflow"}),
                                     "UBSAN: Undefined behaviour in"),
                           WithStack("UBSAN:", "UBSAN: {1} in {2}", K::kUbsan, Stack(kCallTrace, {"ubsan", "overflow"}),
                                     "UBSAN: ([a-z][a-z0-9\\-]+) in")},
                          false, K::kUbsan});
  c.push_back(ReportClass{"Booting the kernel.", {"Unknown parameter '"},
                          {NoStack(Plain("Booting the kernel.", "unexpected kernel reboot", K::kOther))}, false, K::kOther});
  c.push_back(ReportClass{"unregister_netdevice: waiting for", {},
                          {NoStack(Plain("unregister_netdevice: waiting for (?:.*) to become free",
                                         "unregister_netdevice: waiting for DEV to become free", K::kNetdevUnregisterWait))},
                          false, K::kNetdevUnregisterWait});
  // arm: "Unhandled fault: ..." / "Alignment trap: ...", arm64/arm: "Internal error: Oops: ...".
  c.push_back(ReportClass{"Unhandled fault:", {},
                          {WithStack("Unhandled fault:", "Unhandled fault in {1}", K::kOops,
                                     Stack({"(?:PC is at|pc : ) ?{{FUNC}}", "@stack"}))},
                          false, K::kOops});
  c.push_back(ReportClass{"Alignment trap:", {},
                          {WithStack("Alignment trap:", "Alignment trap in {1}", K::kOops,
                                     Stack({"(?:PC is at|pc : ) ?{{FUNC}}", "@stack"}))},
                          false, K::kOops});
  c.push_back(ReportClass{"Internal error:", {},
                          {WithStack("Internal error:", "Internal error in {1}", K::kOops,
                                     Stack({"(?:PC is at|pc : ) ?{{FUNC}}", "@stack"}))},
                          false, K::kOops});
  c.push_back(ReportClass{"VFS: Busy inodes after unmount", {},
                          {NoStack(Plain("VFS: Busy inodes after unmount", "VFS: Busy inodes after unmount (use-after-free)", K::kBug))},
                          false, K::kBug});
  c.push_back(ReportClass{"trusty: panic", {},
                          {NoStack(Plain("trusty: panic.* ASSERT FAILED", "trusty: ASSERT FAILED: {1}", K::kPanic,
                                         "trusty: panic \\(.*?\\):(?: DEBUG)? ASSERT FAILED at \\(.*?\\): (.+)")),
                           Corrupted(Plain("trusty: panic.* ASSERT FAILED.*: *(.*)", "trusty: ASSERT FAILED: {1}", K::kPanic)),
                           NoStack(Plain("trusty: panic", "trusty: panic: {1}", K::kPanic, "trusty: panic \\(.*?\\): (.+)"))},
                          false, K::kPanic});
  c.push_back(ReportClass{"SYZFAIL:", {}, {NoStack(Plain("SYZFAIL:(.*)", "SYZFAIL:{1}", K::kOther))}, false, K::kOther});

  // ---- Classes a fleet cares about that syzkaller does not call crashes ----------------------
  c.push_back(ReportClass{"Watchdog detected hard LOCKUP", {},
                          // IRQs are off while a hard lockup spins, so the spinning function is on top:
                          // the first non-generic frame names it (unlike soft lockups and stalls).
                          {WithStack("Watchdog detected hard LOCKUP on cpu", "hard lockup in {1}", K::kHardLockup,
                                     Stack(kRipThenCallTrace))},
                          true, K::kHardLockup});
  c.push_back(ReportClass{"NMI watchdog: Watchdog detected hard LOCKUP", {},
                          {WithStack("hard LOCKUP", "hard lockup in {1}", K::kHardLockup, Stack(kRipThenCallTrace))},
                          true, K::kHardLockup});
  c.push_back(ReportClass{"Out of memory: Kill", {},
                          {NoStack(Plain("Out of memory: Kill(?:ed)? process [0-9]+ \\(([^)]*)\\)", "out of memory: killed {1}", K::kOomKill))},
                          true, K::kOomKill});
  c.push_back(ReportClass{" invoked oom-killer:", {},
                          {NoStack(Plain("(\\S+) invoked oom-killer:", "out of memory: {1} invoked oom-killer", K::kOomKill))},
                          true, K::kOomKill});
  c.push_back(ReportClass{"Memory cgroup out of memory:", {},
                          {NoStack(Plain("Memory cgroup out of memory: Kill(?:ed)? process [0-9]+ \\(([^)]*)\\)",
                                         "memory cgroup out of memory: killed {1}", K::kOomKill))},
                          true, K::kOomKill});
  c.push_back(ReportClass{": page allocation failure:", {},
                          {WithStack("page allocation failure: order:([0-9]+)", "page allocation failure: order {1} in {2}",
                                     K::kPageAllocFailure,
                                     Stack(kCallTrace, {"warn_alloc", "alloc_pages", "__alloc_pages", "kmalloc", "kmem_cache", "alloc_skb",
                                                        "__alloc_skb", "slab", "kvmalloc", "kzalloc", "__kmalloc", "folio_alloc",
                                                        "allocate_slab", "new_slab", "___slab_alloc"}))},
                          true, K::kPageAllocFailure});
  c.push_back(ReportClass{"NETDEV WATCHDOG:", {},
                          {NoStack(Plain("NETDEV WATCHDOG: (\\S+) \\(([^)]*)\\): transmit queue [0-9]+ timed out",
                                         "NETDEV WATCHDOG: transmit queue timed out on {2}", K::kNetdevWatchdog))},
                          true, K::kNetdevWatchdog});
  c.push_back(ReportClass{"[Hardware Error]:", {},
                          {NoStack(Plain("\\[Hardware Error\\]: (?:CPU [0-9]+: )?(Machine Check(?: Exception)?|.*?)(?::|$)",
                                         "MCE: hardware error: {1}", K::kMce))},
                          true, K::kMce});
  c.push_back(ReportClass{"Machine check events logged", {},
                          {NoStack(Plain("Machine check events logged", "MCE: machine check events logged", K::kMce))},
                          true, K::kMce});
  c.push_back(ReportClass{"NMI backtrace for cpu", {},
                          {WithStack("NMI backtrace for cpu ([0-9]+)", "NMI backtrace in {2}", K::kNmiBacktrace,
                                     Stack(kRipThenCallTrace, {"nmi_", "cpu_idle", "default_idle", "native_safe_halt", "arch_cpu_idle", "do_idle"}))},
                          true, K::kNmiBacktrace});
  c.push_back(ReportClass{"<stack trace>", {},
                          {WithStack("<stack trace>", "ftrace stack in {1}", K::kFtraceStack,
                                     Stack({"<stack trace>", "^ *=> ([a-zA-Z0-9_]+)"}, {"kprobe", "ftrace", "trace_"}))},
                          true, K::kFtraceStack});
  c.push_back(ReportClass{"list_add corruption", {},
                          {WithStack("list_add corruption", "BUG: corrupted list in {1}", K::kListCorruption,
                                     Stack({"{{RIP}}", "Call (?:T|t)race:", "@stack"}, {"list_", "__list"}))},
                          false, K::kListCorruption});
  c.push_back(ReportClass{"list_del corruption", {},
                          {WithStack("list_del corruption", "BUG: corrupted list in {1}", K::kListCorruption,
                                     Stack({"{{RIP}}", "Call (?:T|t)race:", "@stack"}, {"list_", "__list"}))},
                          false, K::kListCorruption});
  c.push_back(ReportClass{"kernel stack overflow", {},
                          {WithStack("kernel stack overflow", "kernel stack overflow in {1}", K::kStackOverflow, Stack({"{{RIP}}"}))},
                          true, K::kStackOverflow});
  return c;
}

}  // namespace

std::vector<ReportClass> BuiltinReportClasses() { return Classes(); }

}  // namespace ktriage
