// One realistic report per kind: the kind, the title and the key fields come out right.
// Snippets are shaped after what the kernel prints (x86-64 unless the case says otherwise).
#include <gtest/gtest.h>

#include <set>

#include "tests/report/corpus_util.h"

namespace ktriage::testing {
namespace {

struct KindCase {
  const char* name;
  const char* log;
  ReportKind kind;
  const char* title;
};

const KindCase kCases[] = {
    {"soft_lockup",
     "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [ip:2541]\n"
     "CPU: 1 PID: 2541 Comm: ip Not tainted 6.1.0-50-cloud-amd64 #1 Debian 6.1.153-1\n"
     "RIP: 0010:netdev_pick_tx+0x27c/0x294\n"
     "Call Trace:\n <TASK>\n netdev_core_pick_tx+0x9a/0xc0\n __dev_queue_xmit+0x1f4/0xd70\n"
     " ip_finish_output2+0x2a5/0x590\n __ip_queue_xmit+0x171/0x470\n __tcp_transmit_skb+0xaa9/0xbe0\n"
     " tcp_write_xmit+0x3e4/0x1460\n __tcp_push_pending_frames+0x32/0xf0\n tcp_sendmsg_locked+0xa6a/0xc70\n"
     " tcp_sendmsg+0x28/0x40\n sock_sendmsg+0x5e/0x70\n __sys_sendto+0x114/0x1a0\n __x64_sys_sendto+0x24/0x30\n"
     " do_syscall_64+0x55/0xb0\n entry_SYSCALL_64_after_hwframe+0x6e/0xd8\n </TASK>\n",
     // The stall rule names the frame above the dispatch point (sock_sendmsg): the protocol.
     ReportKind::kSoftLockup, "BUG: soft lockup in tcp_sendmsg"},
    {"hard_lockup",
     "NMI watchdog: Watchdog detected hard LOCKUP on cpu 3\n"
     "CPU: 3 PID: 0 Comm: swapper/3 Not tainted 6.1.0-50-cloud-amd64 #1\n"
     "RIP: 0010:native_queued_spin_lock_slowpath+0x5e/0x2d0\n"
     "Call Trace:\n <IRQ>\n _raw_spin_lock+0x25/0x30\n mlx5e_napi_poll+0x10f/0x700 [mlx5_core]\n"
     " __napi_poll+0x28/0x160\n net_rx_action+0x29e/0x350\n __do_softirq+0xc5/0x2c8\n </IRQ>\n",
     ReportKind::kHardLockup, "hard lockup in mlx5e_napi_poll"},
    {"hung_task",
     "INFO: task ip:3141 blocked for more than 120 seconds.\n"
     "      Not tainted 6.1.0-50-cloud-amd64 #1 Debian 6.1.153-1\n"
     "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n"
     "task:ip              state:D stack:0     pid:3141  ppid:3100   flags:0x00004002\n"
     "Call Trace:\n <TASK>\n __schedule+0x34d/0x9e0\n schedule+0x5a/0xd0\n schedule_preempt_disabled+0x11/0x20\n"
     " __mutex_lock.constprop.0+0x399/0x700\n rtnl_lock+0x11/0x20\n rtnetlink_rcv_msg+0x13b/0x3c0\n"
     " netlink_rcv_skb+0x4f/0x100\n </TASK>\n",
     ReportKind::kHungTask, "INFO: task hung in rtnl_lock"},
    {"rcu_stall",
     "rcu: INFO: rcu_sched self-detected stall on CPU\n"
     "rcu: \t0-....: (5250 ticks this GP) idle=b2c/1/0x4000000000000000 softirq=1049/1049 fqs=2625\n"
     "CPU: 0 PID: 812 Comm: stress Not tainted 6.1.0-50-cloud-amd64 #1\n"
     "RIP: 0010:copy_page_range+0x55/0x1a0\n"
     "Call Trace:\n <IRQ>\n rcu_sched_clock_irq+0x6c8/0xa70\n update_process_times+0x5f/0x90\n"
     " tick_sched_timer+0x43/0x80\n </IRQ>\n <TASK>\n sysvec_apic_timer_interrupt+0x40/0x90\n"
     " copy_page_range+0x55/0x1a0\n dup_mmap+0x3e0/0x500\n copy_process+0x1a4f/0x1c70\n kernel_clone+0x9d/0x3f0\n"
     " __do_sys_clone+0x5d/0x80\n do_syscall_64+0x55/0xb0\n </TASK>\n",
     ReportKind::kRcuStall, "INFO: rcu detected stall in clone"},
    {"oops_null",
     "BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
     "#PF: supervisor write access in kernel mode\n#PF: error_code(0x0002) - not-present page\n"
     "Oops: 0002 [#1] PREEMPT SMP NOPTI\n"
     "CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0-50-cloud-amd64 #1 Debian 6.1.153-1\n"
     "RIP: 0010:sysrq_handle_crash+0x16/0x20\n"
     "Call Trace:\n <TASK>\n __handle_sysrq.cold+0x43/0x11e\n write_sysrq_trigger+0x24/0x40\n proc_reg_write+0x5a/0xa0\n"
     " vfs_write+0xc8/0x3b0\n ksys_write+0x5f/0xe0\n do_syscall_64+0x55/0xb0\n </TASK>\n",
     ReportKind::kOops, "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash"},
    {"gpf",
     "general protection fault, probably for non-canonical address 0xdffffc0000000002: 0000 [#1] PREEMPT SMP KASAN\n"
     "CPU: 1 PID: 4417 Comm: kworker/1:3 Not tainted 6.1.0 #1\n"
     "RIP: 0010:ovs_vport_send+0x2f/0x170 [openvswitch]\n"
     "Call Trace:\n <TASK>\n do_output+0x59/0x180 [openvswitch]\n do_execute_actions+0xa6/0x1930 [openvswitch]\n </TASK>\n",
     ReportKind::kGpf, "general protection fault in ovs_vport_send"},
    {"bug_at",
     "------------[ cut here ]------------\n"
     "kernel BUG at net/core/skbuff.c:116!\n"
     "invalid opcode: 0000 [#1] PREEMPT SMP NOPTI\n"
     "CPU: 0 PID: 77 Comm: kworker/0:2 Not tainted 6.1.0 #1\n"
     "RIP: 0010:skb_panic+0x4c/0x4e\n"
     "Call Trace:\n <TASK>\n skb_put.cold+0x10/0x10\n vxlan_xmit_one+0x8d5/0xd30 [vxlan]\n vxlan_xmit+0x3da/0xd30 [vxlan]\n </TASK>\n",
     ReportKind::kBug, "kernel BUG in vxlan_xmit_one"},
    {"warning",
     "------------[ cut here ]------------\n"
     "WARNING: CPU: 2 PID: 510 at net/core/dev.c:10843 unregister_netdevice_many+0x6a/0x6e0\n"
     "Modules linked in: veth bridge stp llc\n"
     "CPU: 2 PID: 510 Comm: ip Tainted: G        W          6.1.0-50-cloud-amd64 #1\n"
     "RIP: 0010:unregister_netdevice_many+0x6a/0x6e0\n"
     "Call Trace:\n <TASK>\n rtnl_dellink+0x13d/0x370\n rtnetlink_rcv_msg+0x13b/0x3c0\n </TASK>\n"
     "---[ end trace 0000000000000000 ]---\n",
     // unregister_netdevice* frames are generic (syzkaller's rule): the caller is named.
     ReportKind::kWarning, "WARNING in rtnl_dellink"},
    {"kasan",
     "==================================================================\n"
     "BUG: KASAN: slab-use-after-free in tcp_write_timer_handler+0x9f/0x6b0\n"
     "Read of size 1 at addr ffff88801a2b3c12 by task swapper/0/0\n"
     "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.6.0 #1\n"
     "Call Trace:\n <IRQ>\n dump_stack_lvl+0x7f/0xc0\n print_report+0xcf/0x620\n kasan_report+0xb1/0xe0\n"
     " tcp_write_timer_handler+0x9f/0x6b0\n tcp_write_timer+0x70/0x240\n call_timer_fn+0x1a/0x160\n </IRQ>\n",
     ReportKind::kKasan, "KASAN: slab-use-after-free Read in tcp_write_timer_handler"},
    {"kfence",
     "==================================================================\n"
     "BUG: KFENCE: use-after-free read in nf_ct_expect_related_report+0x14/0x2c0\n"
     "Use-after-free read at 0x00000000a1b2c3d4 (in kfence-#12):\n"
     " nf_ct_expect_related_report+0x14/0x2c0\n",
     ReportKind::kKfence, "KFENCE: use-after-free read in nf_ct_expect_related_report"},
    {"ubsan",
     "UBSAN: shift-out-of-bounds in net/sched/sch_cbq.c:1036:25\n"
     "shift exponent 65 is too large for 32-bit type 'int'\n"
     "CPU: 0 PID: 6 Comm: tc Not tainted 6.1.0 #1\n"
     "Call Trace:\n <TASK>\n dump_stack_lvl+0x48/0x60\n __ubsan_handle_shift_out_of_bounds.cold+0x61/0xef\n"
     " cbq_change_class+0x12f/0x4c0\n tc_ctl_tclass+0x1f4/0x5e0\n </TASK>\n",
     ReportKind::kUbsan, "UBSAN: shift-out-of-bounds in cbq_change_class"},
    {"kcsan",
     "==================================================================\n"
     "BUG: KCSAN: data-race in tcp_poll / tcp_set_state\n",
     ReportKind::kKcsan, "KCSAN: data-race in tcp_poll / tcp_set_state"},
    {"kmsan",
     "=====================================================\n"
     "BUG: KMSAN: uninit-value in ip_tunnel_xmit+0x1b3/0x1c0\n"
     " ip_tunnel_xmit+0x1b3/0x1c0\n gre_tap_xmit+0x5e1/0x620\n dev_hard_start_xmit+0x247/0xa10\n",
     ReportKind::kKmsan, "KMSAN: uninit-value in ip_tunnel_xmit"},
    {"lockdep",
     "======================================================\n"
     "WARNING: possible circular locking dependency detected\n"
     "6.1.0 #1 Not tainted\n------------------------------------------------------\n"
     "ip/4213 is trying to acquire lock:\n"
     "ffffffff8b4d1d28 (rtnl_mutex){+.+.}-{3:3}, at: rtnl_lock+0x15/0x20\n"
     "\nbut task is already holding lock:\n"
     "ffff8880a1b2c0d8 (&ovs_mutex){+.+.}-{3:3}, at: ovs_lock+0x15/0x20 [openvswitch]\n"
     "\nwhich lock already depends on the new lock.\n"
     "stack backtrace:\nCPU: 0 PID: 4213 Comm: ip Not tainted 6.1.0 #1\n"
     "Call Trace:\n <TASK>\n dump_stack_lvl+0x48/0x60\n check_noncircular+0x10c/0x130\n __lock_acquire+0x11e4/0x1d50\n"
     " lock_acquire+0xc2/0x2b0\n __mutex_lock+0x96/0x8f0\n rtnl_lock+0x15/0x20\n ovs_dp_cmd_new+0x1f0/0x560 [openvswitch]\n </TASK>\n",
     ReportKind::kLockdep, "possible deadlock in rtnl_lock"},
    {"oom_kill",
     "stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0\n"
     "CPU: 1 PID: 991 Comm: stress Not tainted 6.1.0-50-cloud-amd64 #1\n"
     "Call Trace:\n <TASK>\n dump_stack_lvl+0x44/0x5c\n dump_header+0x4a/0x211\n oom_kill_process.cold+0xb/0x10\n"
     " out_of_memory+0x1fd/0x4c0\n __alloc_pages_slowpath.constprop.0+0xc4f/0xe00\n </TASK>\n"
     "Out of memory: Killed process 991 (stress) total-vm:1052692kB, anon-rss:1010124kB, file-rss:0kB\n",
     ReportKind::kOomKill, "out of memory: stress invoked oom-killer"},
    {"page_alloc_failure",
     "kworker/0:1: page allocation failure: order:4, mode:0x40cc0(GFP_KERNEL|__GFP_COMP), nodemask=(null)\n"
     "CPU: 0 PID: 10 Comm: kworker/0:1 Not tainted 6.1.0 #1\n"
     "Call Trace:\n <TASK>\n dump_stack_lvl+0x44/0x5c\n warn_alloc+0x137/0x160\n __alloc_pages_slowpath.constprop.0+0xce6/0xe00\n"
     " __alloc_pages+0x30b/0x330\n __kmalloc_large_node+0x7a/0x140\n mlx5_alloc_cmd_msg+0x62/0x120 [mlx5_core]\n </TASK>\n",
     ReportKind::kPageAllocFailure, "page allocation failure: order NUM in mlx5_alloc_cmd_msg"},
    {"mce",
     "mce: [Hardware Error]: CPU 2: Machine Check Exception: 5 Bank 17: fe00000000800400\n"
     "mce: [Hardware Error]: RIP !INEXACT! 10:<ffffffff81e32f4e> {intel_idle+0x5e/0xa0}\n",
     ReportKind::kMce, "MCE: hardware error: Machine Check Exception"},
    {"netdev_unregister_wait",
     "unregister_netdevice: waiting for veth0 to become free. Usage count = 2\n",
     ReportKind::kNetdevUnregisterWait, "unregister_netdevice: waiting for DEV to become free"},
    {"netdev_watchdog",
     "------------[ cut here ]------------\n"
     "NETDEV WATCHDOG: eth0 (ixgbe): transmit queue 3 timed out 5120 ms\n"
     "WARNING: CPU: 5 PID: 0 at net/sched/sch_generic.c:525 dev_watchdog+0x21f/0x230\n",
     ReportKind::kNetdevWatchdog, "NETDEV WATCHDOG: transmit queue timed out on ixgbe"},
    {"list_corruption",
     "list_del corruption. prev->next should be ffff888005e1c030, but was ffff888005e1c031. (prev=ffff888005e1c000)\n"
     "------------[ cut here ]------------\n"
     "kernel BUG at lib/list_debug.c:62!\n"
     "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1\n"
     "RIP: 0010:__list_del_entry_valid.cold+0x12/0x4d\n"
     "Call Trace:\n <TASK>\n inet_frag_kill+0x9a/0x200\n ip_expire+0x5e/0x190\n </TASK>\n",
     ReportKind::kListCorruption, "BUG: corrupted list in inet_frag_kill"},
    {"double_fault",
     "PANIC: double fault, error_code: 0x0\n"
     "CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1\n"
     "RIP: 0010:recursive_fn+0x9/0x20\n",
     ReportKind::kDoubleFault, "PANIC: double fault in recursive_fn"},
    {"stack_overflow",
     "BUG: stack guard page was hit at ffffc90000af7ff8 (stack is ffffc90000af8000..ffffc90000afffff)\n"
     "kernel stack overflow (double-fault): 0000 [#1] PREEMPT SMP NOPTI\n"
     "RIP: 0010:bond_get_stats+0x1e/0x4d0\n"
     "Call Trace:\n <TASK>\n dev_get_stats+0x7c/0x2a0\n bond_get_stats+0x15e/0x4d0\n dev_get_stats+0x7c/0x2a0\n"
     " rtnl_fill_stats+0x48/0x140\n rtnl_fill_ifinfo+0x7a1/0x1520\n rtnl_dump_ifinfo+0x5c4/0x9d0\n"
     " netlink_dump+0x4cc/0xa20\n netlink_recvmsg+0x3c0/0x4b0\n </TASK>\n",
     // Runaway recursion is named like a stall: the frame above the dispatch point (the dump).
     ReportKind::kStackOverflow, "BUG: stack guard page was hit in rtnl_dump_ifinfo"},
    {"sleep_in_atomic",
     "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580\n"
     "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 72, name: kworker/0:2\n"
     "CPU: 0 PID: 72 Comm: kworker/0:2 Tainted: G           O      6.1.0 #1\n"
     "Call Trace:\n <TASK>\n dump_stack_lvl+0x44/0x5c\n __might_resched.cold+0xcc/0xe0\n mutex_lock+0x1a/0x40\n"
     " mydrv_work+0x2b/0x70 [mydrv]\n process_one_work+0x1c7/0x380\n </TASK>\n",
     ReportKind::kSleepInAtomic, "BUG: sleeping function called from invalid context in mydrv_work"},
    {"memory_leak",
     "unreferenced object 0xffff888101a2b300 (size 256):\n"
     "BUG: memory leak\n"
     "unreferenced object 0xffff888101a2b300 (size 256):\n  comm \"ip\", pid 3141, jiffies 4294940000\n"
     "  backtrace:\n    [<ffffffff81234567>] kmalloc_trace+0x26/0x90\n    [<ffffffff81345678>] veth_newlink+0x1c/0x400 [veth]\n",
     ReportKind::kMemoryLeak, "memory leak in veth_newlink"},
    {"workqueue_lockup",
     "BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 47s!\n"
     "Showing busy workqueues and worker pools:\n",
     ReportKind::kWorkqueueLockup, "BUG: workqueue lockup"},
    {"nmi_backtrace",
     "NMI backtrace for cpu 1\n"
     "CPU: 1 PID: 2541 Comm: ip Not tainted 6.1.0 #1\n"
     "RIP: 0010:netdev_pick_tx+0x27c/0x294\n"
     "Call Trace:\n <TASK>\n netdev_core_pick_tx+0x9a/0xc0\n </TASK>\n",
     ReportKind::kNmiBacktrace, "NMI backtrace in netdev_pick_tx"},
    {"ftrace_stack",
     "     kworker/0:1-12    [000] d.s.  1234.567890: __put_net: (__put_net+0x0/0x80)\n"
     "     kworker/0:1-12    [000] d.s.  1234.567895: <stack trace>\n"
     " => __sk_destruct\n => tcp_write_timer_handler\n => tcp_write_timer\n => call_timer_fn\n",
     ReportKind::kFtraceStack, "ftrace stack in __sk_destruct"},
    {"rust_panic",
     // The panic's own BUG() belongs to it; frames are Rust v0 symbols (a trait impl, a backref).
     "rust_kernel: panicked at drivers/misc/mydrv.rs:41:9:\n"
     "attempt to add with overflow\n"
     "------------[ cut here ]------------\n"
     "kernel BUG at rust/helpers/bug.c:7!\n"
     "Oops: invalid opcode: 0000 [#1] PREEMPT SMP PTI\n"
     "CPU: 0 UID: 0 PID: 298 Comm: mydrv-test Not tainted 6.12.23 #0\n"
     "RIP: 0010:rust_helper_BUG+0x8/0x10\n"
     "Call Trace:\n <TASK>\n _RNvCscSpY9Juk0HT_7___rustc17rust_begin_unwind+0x15b/0x160\n"
     " _RNvNtCs9jEwPDbx20M_4core9panicking9panic_fmt+0x84/0x90\n"
     " _RNvXCs1_5mydrvNtB2_3DevNtNtCs2_6kernel10miscdevice10MiscDevice4mmap+0x17e5/0x1860\n"
     " __x64_sys_mmap+0x2a/0x40\n do_syscall_64+0x55/0xb0\n </TASK>\n",
     ReportKind::kBug, "attempt to add with overflow in <mydrv::Dev as kernel::miscdevice::MiscDevice>::mmap"},
    {"arm64_fault",
     // Any "Unable to handle kernel ..." starts the report, before its "Internal error:" line.
     "Unable to handle kernel access to user memory outside uaccess routines at virtual address 0000000020000000\n"
     "Internal error: Oops: 000000009600000f [#1] PREEMPT SMP\n"
     "CPU: 1 PID: 3315 Comm: syz-executor253 Not tainted 6.6.0 #0\n"
     "pc : __arch_copy_from_user+0x1b8/0x230\n"
     "lr : _copy_from_user+0x6c/0xa0\n"
     "Call trace:\n __arch_copy_from_user+0x1b8/0x230\n _copy_from_user+0x6c/0xa0\n"
     " bpf_prog_test_run_xdp+0x2f4/0x6c0\n __sys_bpf+0x5f0/0x1c4c\n",
     ReportKind::kOops, "BUG: unable to handle kernel access to user memory in bpf_prog_test_run_xdp"},
    {"panic",
     "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n"
     "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1\n",
     ReportKind::kPanic, "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)"},
};

class ReportKinds : public ::testing::TestWithParam<KindCase> {};

TEST_P(ReportKinds, KindAndTitle) {
  const KindCase& c = GetParam();
  LogAnalysis a = AnalyzeText(c.log);
  ASSERT_FALSE(a.reports.empty()) << c.name;
  const CrashReport& r = a.reports.front();
  EXPECT_EQ(r.kind, c.kind) << c.name << ": " << ReportKindName(r.kind);
  EXPECT_EQ(r.title, c.title) << c.name;
  EXPECT_EQ(r.signature.size(), 16u);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, ReportKinds, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ReportKindsCoverage, EveryKindHasACase) {
  std::set<ReportKind> covered;
  for (const auto& c : kCases) covered.insert(c.kind);
  for (int k = 0; k <= static_cast<int>(ReportKind::kOther); ++k) {
    auto kind = static_cast<ReportKind>(k);
    if (kind == ReportKind::kOther) continue;
    EXPECT_TRUE(covered.count(kind)) << "no test case for kind " << ReportKindName(kind);
  }
}

}  // namespace
}  // namespace ktriage::testing
