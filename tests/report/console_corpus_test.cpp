// The text pipeline on real serial consoles of a Debian 6.1 kernel crashed in QEMU by our own
// scenarios (corpora/console/debian-6.1-qemu, made by corpora/dumps/make-dumps.sh). Expectations
// follow from what each scenario does to the kernel, not from a previous run's output.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/report/corpus_util.h"

namespace ktriage::testing {
namespace {

LogAnalysis Console(const char* scenario) {
  auto path = SourceDir() / "corpora/console/debian-6.1-qemu" / (std::string(scenario) + ".log");
  return AnalyzeText(ReadFile(path));
}

bool HasFrame(const CrashReport& r, std::string_view fn) {
  for (const auto& f : r.frames)
    if (f.function == fn) return true;
  return false;
}

TEST(ConsoleCorpus, SystemFactsOfTheBoot) {
  LogAnalysis a = Console("sysrq");
  EXPECT_EQ(a.system.kernel_release, "6.1.0-50-cloud-amd64");
  EXPECT_NE(a.system.hardware.find("QEMU Standard PC"), std::string::npos);
  EXPECT_NE(a.system.command_line.find("ktriage.scenario=sysrq"), std::string::npos);
  EXPECT_EQ(a.format, LogFormat::kDmesg);
}

TEST(ConsoleCorpus, SysrqPanic) {
  LogAnalysis a = Console("sysrq");
  ASSERT_EQ(a.reports.size(), 1u);
  const auto& r = a.reports[0];
  EXPECT_EQ(r.kind, ReportKind::kPanic);
  EXPECT_TRUE(r.panicked);
  EXPECT_EQ(r.panic_message, "sysrq triggered crash");
  EXPECT_TRUE(HasFrame(r, "sysrq_handle_crash"));
}

TEST(ConsoleCorpus, NullDereferenceInTheTestModule) {
  LogAnalysis a = Console("null-deref");
  ASSERT_GE(a.reports.size(), 1u);
  const auto& r = a.reports[0];
  EXPECT_EQ(r.kind, ReportKind::kOops);
  EXPECT_EQ(r.guilty_frame, "ktriage_test_init");
  EXPECT_TRUE(r.panicked);
  EXPECT_FALSE(r.corrupted) << r.corrupted_reason;
  // The faulting frame is typed as the IP and carries its module.
  ASSERT_FALSE(r.frames.empty());
  EXPECT_TRUE(r.frames[0].is_ip);
  EXPECT_EQ(r.frames[0].module, "ktriage_test");
  EXPECT_NE(r.tainted.find('O'), std::string::npos) << "out-of-tree module taint";
}

TEST(ConsoleCorpus, VethSoftLockupsOnBothCpus) {
  LogAnalysis a = Console("veth-softlockup");
  std::set<int> cpus;
  int lockups = 0;
  bool panicked = false;
  for (const auto& r : a.reports) {
    if (r.kind != ReportKind::kSoftLockup) continue;
    ++lockups;
    ASSERT_TRUE(r.cpu.has_value());
    cpus.insert(*r.cpu);
    EXPECT_EQ(r.comm, "ping");
    EXPECT_TRUE(HasFrame(r, "netdev_pick_tx")) << r.title;
    EXPECT_TRUE(HasFrame(r, "pick_tx_pre")) << "the spinning kprobe handler";
    EXPECT_FALSE(r.corrupted) << r.corrupted_reason;
    panicked = panicked || (r.panicked && r.panic_message == "softlockup: hung tasks");
  }
  EXPECT_GE(lockups, 2);
  EXPECT_EQ(cpus, (std::set<int>{0, 1}));
  EXPECT_TRUE(panicked);
  // Same bug on both CPUs: one signature.
  std::set<std::string> sigs;
  for (const auto& r : a.reports)
    if (r.kind == ReportKind::kSoftLockup) sigs.insert(r.signature);
  EXPECT_EQ(sigs.size(), 1u);
}

TEST(ConsoleCorpus, SeedVlanLinesAreNotCrashesButThePanicIs) {
  LogAnalysis a = Console("igb-vlan-seed");
  ASSERT_EQ(a.reports.size(), 1u);
  EXPECT_EQ(a.reports[0].kind, ReportKind::kPanic);
  EXPECT_GT(a.reports[0].line_start, 337u) << "the igb lines come before the panic";
}

TEST(ConsoleCorpus, HungTaskNamesTheBlockedTask) {
  LogAnalysis a = Console("hung-task");
  ASSERT_GE(a.reports.size(), 1u);
  const auto& r = a.reports[0];
  EXPECT_EQ(r.kind, ReportKind::kHungTask);
  EXPECT_EQ(r.comm, "insmod");
  EXPECT_EQ(r.title, "INFO: task hung in ktriage_test_init");
  EXPECT_TRUE(r.panicked);
}

TEST(ConsoleCorpus, WarningWithPanicOnWarn) {
  LogAnalysis a = Console("warn");
  ASSERT_GE(a.reports.size(), 1u);
  const auto& r = a.reports[0];
  EXPECT_EQ(r.kind, ReportKind::kWarning);
  EXPECT_EQ(r.title, "WARNING in ktriage_test_init");
  EXPECT_EQ(r.comm, "insmod");
  EXPECT_TRUE(r.panicked);
}

TEST(ConsoleCorpus, NetdevRefcountWaitRepeats) {
  LogAnalysis a = Console("netdev-refcount");
  int waits = 0;
  for (const auto& r : a.reports) waits += r.kind == ReportKind::kNetdevUnregisterWait;
  EXPECT_GE(waits, 1);
  EXPECT_EQ(a.reports.back().kind, ReportKind::kPanic);
}

// The same event, __put_net, caught by five tracing tools on the 6.1 and 6.12 guests
// (corpora/console/make-traces.sh): each log is one stack, named after the traced function however
// many tracing frames the tool and kernel print above it, and holding the callers in order.
TEST(ConsoleCorpus, TracingToolStacksOfPutNet) {
  int logs = 0;
  for (const char* dir : {"debian-6.1-qemu-traces", "debian-6.12-qemu-traces"}) {
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::directory_iterator(SourceDir() / "corpora/console" / dir))
      if (e.path().extension() == ".log") paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) {
      ++logs;
      const std::string name = path.filename().string();
      LogAnalysis a = AnalyzeText(ReadFile(path));
      ASSERT_EQ(a.reports.size(), 1u) << dir << "/" << name;
      const CrashReport& r = a.reports[0];
      EXPECT_EQ(r.kind, ReportKind::kFtraceStack) << name;
      EXPECT_FALSE(r.corrupted) << name << ": " << r.corrupted_reason;
      EXPECT_EQ(r.guilty_frame, "__put_net") << name;
      EXPECT_TRUE(r.title.ends_with(" in __put_net")) << name << ": " << r.title;
      // The caller of __put_net: the socket's destructor from the TCP timer, or the exiting task's
      // namespaces.
      const bool timer = name.find("tcp-timer") != std::string::npos;
      std::vector<std::string> named;
      for (const auto& f : r.frames)
        if (!f.function.empty()) named.push_back(f.function);
      auto put = std::find(named.begin(), named.end(), "__put_net");
      ASSERT_NE(put, named.end()) << name;
      ASSERT_NE(put + 1, named.end()) << name;
      EXPECT_EQ(*(put + 1), timer ? "__sk_destruct" : "free_nsproxy") << name;
      EXPECT_NE(std::find(put, named.end(), timer ? "call_timer_fn" : "do_exit"), named.end()) << name;
    }
  }
  EXPECT_EQ(logs, 28);
}

// Two events in one trace: each stack is its own report, whatever the tool (perf script heads
// every line of a callchain; ftrace, trace-cmd and bpftrace head each stack once).
TEST(ConsoleCorpus, EachTracedStackIsItsOwnReport) {
  const auto dir = SourceDir() / "corpora/console/debian-6.12-qemu-traces";
  for (const char* tool : {"ftrace-kprobe", "ftrace-function", "perf-tools-kprobe", "trace-cmd", "trace-cmd-function",
                           "perf", "bpftrace"}) {
    const std::string both = ReadFile(dir / (std::string(tool) + "-put-net-process-exit.log")) +
                             ReadFile(dir / (std::string(tool) + "-put-net-tcp-timer.log"));
    LogAnalysis a = AnalyzeText(both);
    ASSERT_EQ(a.reports.size(), 2u) << tool;
    EXPECT_TRUE(HasFrame(a.reports[0], "free_nsproxy")) << tool;
    EXPECT_FALSE(HasFrame(a.reports[0], "__sk_destruct")) << tool;
    EXPECT_TRUE(HasFrame(a.reports[1], "__sk_destruct")) << tool;
    EXPECT_FALSE(HasFrame(a.reports[1], "free_nsproxy")) << tool;
  }
}

}  // namespace
}  // namespace ktriage::testing
