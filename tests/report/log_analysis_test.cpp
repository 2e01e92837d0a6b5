// End-to-end tests of the text pipeline on logs shaped like real kernel output.
#include "analyzer/report/log_analysis.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/report/corpus_util.h"

namespace ktriage::testing {
namespace {

// One soft lockup report of a Debian 6.1 guest, for CPU `cpu`, as printed line by line.
std::vector<std::string> SoftLockupLines(int cpu, const std::string& comm, int pid, const std::string& rip,
                                         const std::vector<std::string>& frames) {
  std::vector<std::string> l = {
      "watchdog: BUG: soft lockup - CPU#" + std::to_string(cpu) + " stuck for 26s! [" + comm + ":" + std::to_string(pid) + "]",
      "Modules linked in: veth openvswitch nsh nf_conncount nf_nat nf_conntrack",
      "CPU: " + std::to_string(cpu) + " PID: " + std::to_string(pid) + " Comm: " + comm +
          " Tainted: G             L     6.1.0-50-cloud-amd64 #1  Debian 6.1.153-1",
      "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014",
      "RIP: 0010:" + rip,
      "Code: 48 8b 47 08 48 85 c0 74 1a 0f b7 50 02 <39> d1 72 0b",
      "RSP: 0018:ffffc900001b3a58 EFLAGS: 00000246",
      "RAX: 0000000000000004 RBX: ffff888004a1c000 RCX: 0000000000000000",
      "Call Trace:",
      " <TASK>"};
  for (const auto& f : frames) l.push_back(" " + f);
  l.push_back(" </TASK>");
  return l;
}

std::string Stamp(double t, const std::string& caller, const std::string& text) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%12.6f]", t);
  return std::string(buf) + (caller.empty() ? "" : "[" + caller + "]") + " " + text + "\n";
}

// Lines of two reports alternating one by one, as two CPUs printing at once produce them.
std::string Interleave(const std::vector<std::string>& a, const std::string& ca, const std::vector<std::string>& b,
                       const std::string& cb, bool panic_inside) {
  std::string out = Stamp(1.0, "", "Linux version 6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP");
  double t = 30.0;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) out += Stamp(t += 0.0001, ca, a[i]);
    if (i < b.size()) out += Stamp(t += 0.0001, cb, b[i]);
    if (panic_inside && i == 12) out += Stamp(t += 0.0001, cb, "Kernel panic - not syncing: softlockup: hung tasks");
  }
  return out;
}

const std::vector<std::string> kFramesA = {"netdev_core_pick_tx+0x9a/0xc0", "__dev_queue_xmit+0x1f4/0xd70",
                                           "ovs_vport_send+0x94/0x170 [openvswitch]", "do_output+0x59/0x180 [openvswitch]",
                                           "do_execute_actions+0xa6/0x1930 [openvswitch]"};
const std::vector<std::string> kFramesB = {"smp_call_function_many_cond+0x12e/0x380", "on_each_cpu_cond_mask+0x1e/0x30",
                                           "flush_tlb_mm_range+0x10b/0x140", "tlb_finish_mmu+0x8f/0x190",
                                           "exit_mmap+0xf1/0x320"};

std::set<std::string> Functions(const CrashReport& r) {
  std::set<std::string> s;
  for (const auto& f : r.frames) s.insert(f.function);
  return s;
}

TEST(LogAnalysis, CallerIdsSeparateInterleavedReportsExactly) {
  auto a = SoftLockupLines(0, "ip", 2541, "netdev_pick_tx+0x27c/0x294", kFramesA);
  auto b = SoftLockupLines(1, "kworker/1:2", 94, "smp_call_function_many_cond+0x12e/0x380", kFramesB);
  LogAnalysis an = AnalyzeText(Interleave(a, "  T2541", b, "     C1", true));
  ASSERT_EQ(an.reports.size(), 2u);
  const CrashReport& ra = an.reports[0];
  const CrashReport& rb = an.reports[1];
  EXPECT_EQ(ra.title, "BUG: soft lockup in netdev_pick_tx");
  EXPECT_EQ(ra.kind, ReportKind::kSoftLockup);
  EXPECT_FALSE(ra.interleaved);
  EXPECT_EQ(ra.cpu, 0);
  EXPECT_EQ(ra.pid, 2541);
  EXPECT_EQ(ra.comm, "ip");
  EXPECT_EQ(ra.tainted, "GL");
  EXPECT_EQ(ra.kernel_release, "6.1.0-50-cloud-amd64");
  EXPECT_EQ(Functions(ra).count("smp_call_function_many_cond"), 0u) << "frames of the other CPU leaked in";
  EXPECT_EQ(Functions(ra).count("ovs_vport_send"), 1u);
  EXPECT_EQ(rb.cpu, 1);
  EXPECT_EQ(rb.title, "BUG: soft lockup in smp_call_function");
  EXPECT_EQ(Functions(rb).count("netdev_core_pick_tx"), 0u);
  EXPECT_TRUE(ra.panicked || rb.panicked);
  // The module of a frame and the IP frame are typed.
  bool saw_module = false, saw_ip = false;
  for (const auto& f : ra.frames) {
    saw_module = saw_module || f.module == "openvswitch";
    saw_ip = saw_ip || (f.is_ip && f.function == "netdev_pick_tx");
    if (!f.is_ip) {
      EXPECT_EQ(f.context, FrameContext::kTask) << f.function;
    }
  }
  EXPECT_TRUE(saw_module);
  EXPECT_TRUE(saw_ip);
  EXPECT_EQ(ra.registers.at("RAX"), "0000000000000004");
  EXPECT_NE(ra.signature, rb.signature);
}

TEST(LogAnalysis, StreamedReportsComeInLogOrder) {
  // With caller ids the CPU 1 report ends first (its panic), yet the sink sees CPU 0's first.
  auto a = SoftLockupLines(0, "ip", 2541, "netdev_pick_tx+0x27c/0x294", kFramesA);
  auto b = SoftLockupLines(1, "kworker/1:2", 94, "smp_call_function_many_cond+0x12e/0x380", kFramesB);
  std::string log = Interleave(a, "  T2541", b, "     C1", true);
  auto src = MemoryInput(log, "<test>");
  std::vector<uint64_t> starts;
  SharedAnalyzer().Analyze(*src, [&](CrashReport&& r) { starts.push_back(r.line_start); });
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_LT(starts[0], starts[1]);
}

TEST(LogAnalysis, WithoutCallerIdsInterleavedReportsAreSplitAndMarked) {
  auto a = SoftLockupLines(0, "ip", 2541, "netdev_pick_tx+0x27c/0x294", kFramesA);
  auto b = SoftLockupLines(1, "kworker/1:2", 94, "smp_call_function_many_cond+0x12e/0x380", kFramesB);
  LogAnalysis an = AnalyzeText(Interleave(a, "", b, "", true));
  ASSERT_EQ(an.reports.size(), 2u);
  for (const auto& r : an.reports) EXPECT_TRUE(r.interleaved) << r.title;
  EXPECT_EQ(an.reports[0].cpu, 0);
  EXPECT_EQ(an.reports[1].cpu, 1);
  EXPECT_EQ(an.reports[0].pid, 2541);
  EXPECT_EQ(an.reports[1].pid, 94);
  EXPECT_TRUE(an.reports[0].panicked || an.reports[1].panicked);
}

TEST(LogAnalysis, SequentialReportsAreNotMarkedInterleaved) {
  auto a = SoftLockupLines(0, "ip", 2541, "netdev_pick_tx+0x27c/0x294", kFramesA);
  std::string log;
  double t = 10;
  for (const auto& l : a) log += Stamp(t += 0.001, "", l);
  log += Stamp(t += 1, "", "random: crng init done");
  for (const auto& l : a) log += Stamp(t += 0.001, "", l);
  LogAnalysis an = AnalyzeText(log);
  ASSERT_EQ(an.reports.size(), 2u);
  EXPECT_FALSE(an.reports[0].interleaved);
  EXPECT_EQ(an.reports[0].signature, an.reports[1].signature) << "same crash, same signature";
  EXPECT_EQ(an.system.kernel_release, "");
}

TEST(LogAnalysis, SeedFieldNoteLinesAreNotCrashes) {
  // The igb/igbvf lines of the second field note are warnings of a VF's lifecycle, not crash reports.
  std::string log =
      "[2588629.076977] igb 0000:01:00.1: Setting VLAN 13, QOS 0x0 on VF 2\n"
      "[2588629.093820] igb 0000:01:00.1: VF 2 attempted to override administratively set VLAN tag\n"
      "[2588629.093820] Reload the VF driver to resume operations\n"
      "[2588629.094303] igbvf 0000:01:11.1: Failed to remove vlan id 0\n"
      "[2588629.094306] failed to kill vid 0081/0 for device eth1\n";
  LogAnalysis an = AnalyzeText(log);
  EXPECT_TRUE(an.reports.empty());
  EXPECT_EQ(an.stats.lines, 5u);
}

TEST(LogAnalysis, FtraceStackOfTheSecondFieldNote) {
  std::string log =
      "<idle>-0 [013] dNs. 2611893.167041: __put_net: (__put_net+0x0/0x80)\n"
      "<idle>-0 [013] dNs. 2611893.167047: <stack trace>\n"
      "=> sk_free\n=> tcp_write_timer\n=> call_timer_fn\n=> run_timer_softirq\n=> __do_softirq\n"
      "=> call_softirq\n=> do_softirq\n=> irq_exit\n=> smp_apic_timer_interrupt\n";
  LogAnalysis an = AnalyzeText(log);
  ASSERT_EQ(an.reports.size(), 1u);
  const auto& r = an.reports[0];
  EXPECT_EQ(r.kind, ReportKind::kFtraceStack);
  ASSERT_GE(r.frames.size(), 3u);
  EXPECT_EQ(r.frames[0].function, "sk_free");
  EXPECT_EQ(r.frames[1].function, "tcp_write_timer");
  EXPECT_EQ(r.title, "ftrace stack in sk_free");
}

TEST(LogAnalysis, UnregisterNetdeviceWaitAndPanicOnly) {
  std::string log =
      "[  100.1] unregister_netdevice: waiting for veth0 to become free. Usage count = 2\n"
      "[  200.0] Kernel panic - not syncing: sysrq triggered crash\n";
  LogAnalysis an = AnalyzeText(log);
  ASSERT_EQ(an.reports.size(), 2u);
  EXPECT_EQ(an.reports[0].title, "unregister_netdevice: waiting for DEV to become free");
  EXPECT_EQ(an.reports[0].kind, ReportKind::kNetdevUnregisterWait);
  EXPECT_EQ(an.reports[1].kind, ReportKind::kPanic);
  EXPECT_TRUE(an.reports[1].panicked);
  EXPECT_EQ(an.reports[1].panic_message, "sysrq triggered crash");
  EXPECT_EQ(an.reports[1].title, "kernel panic: sysrq triggered crash");
}

TEST(LogAnalysis, BinaryGarbageNeverCrashesAndFindsNothing) {
  std::string junk;
  for (int i = 0; i < 200000; ++i) junk.push_back(static_cast<char>((i * 7919) % 256));
  LogAnalysis an = AnalyzeText(junk);
  EXPECT_GT(an.stats.bytes, 0u);
  for (const auto& r : an.reports) EXPECT_FALSE(r.title.empty());
}

TEST(LogAnalysis, TruncatedReportIsCorrupted) {
  std::string log = "[   5.000000] BUG: unable to handle page fault for address: ffffffffffffffe8\n";
  LogAnalysis an = AnalyzeText(log);
  ASSERT_EQ(an.reports.size(), 1u);
  EXPECT_TRUE(an.reports[0].corrupted);
  EXPECT_FALSE(an.reports[0].corrupted_reason.empty());
}

}  // namespace
}  // namespace ktriage::testing
