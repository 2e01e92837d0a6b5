// Stacks of the real dumps of every kernel family (KASLR and not, kdump and ELF) unwound with the
// family's Debian vmlinux: both CPUs of the soft lockup are in the veth transmit path under the
// spinning kprobe handler, every sleeping task's stack reaches its bottom, a vmlinux of another
// build is refused, and each CPU's frames come in the order crash(8) or the console prints them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "analyzer/kernel_state/dwarf_types.h"
#include "analyzer/kernel_analyses/deep_analysis.h"
#include "analyzer/kernel_state/kernel_arch.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

// libkdumpfile 0.5.1 leaks about 100 bytes each time its address translation fails to set up,
// as it does on QEMU's arm64 kdump files (ktriage reads their blocks itself): not ours to fix.
extern "C" const char* __lsan_default_suppressions() { return "leak:libkdumpfile.so\n"; }

namespace ktriage::kernel {
namespace {

// The families whose architecture the walks support (the others get a reason; see KernelArch).
bool Walkable(const testing::KernelFamily& f) { return !WhyNotWalkable(f.arch).has_value(); }

namespace fs = std::filesystem;

struct Fixture {
  std::unique_ptr<DumpFile> dump;
  std::unique_ptr<KernelState> state;
  fs::path vmlinux;
  fs::path dir;  // the scenario's directory (console.log)
};

// Skips when the family's caches are absent; fails when they exist and do not open.
KernelSources WithVmlinux(const std::string& vmlinux) {
  KernelSources sources;
  sources.vmlinux = vmlinux;
  return sources;
}

void OpenScenario(const std::string& family_name, const std::string& scenario, const std::string& file, Fixture& f) {
  const testing::KernelFamily family = testing::FindFamily(family_name);
  auto dumps = testing::DumpCacheDir(family);
  auto debuginfo = testing::DebuginfoCacheDir(family);
  if (!dumps || !debuginfo) GTEST_SKIP() << family.name << " needs `make dumps` and `make debuginfo`";
  f.vmlinux = testing::DebuginfoVmlinux(*debuginfo);
  f.dir = *dumps / scenario;
  auto dump = DumpFile::Open({(f.dir / file).string()});
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  f.dump = std::move(*dump);
  auto state = KernelState::Open(*f.dump, WithVmlinux(f.vmlinux.string()));
  ASSERT_TRUE(state.ok()) << state.error().message;
  f.state = std::move(*state);
}

// Where each architecture's stacks cross into the kernel: the interrupt entry the soft lockup's
// timer came through, and the system call entry at the bottom of a user task's stack.
struct EntryNames {
  std::string irq_prefix;
  std::string syscall;
};
EntryNames EntryNamesOf(const testing::KernelFamily& family) {
  if (family.arch == "arm64") return {"el1h_64_irq", "el0t_64_sync"};
  return {"asm_sysvec_", "do_syscall_64"};
}

std::vector<std::string> Functions(KernelState& state, const Backtrace& bt) {
  std::vector<std::string> out;
  for (const StackFrame& frame : bt.frames) {
    auto sym = state.unwinder().Describe(frame.pc, frame.exact_pc);
    out.push_back(sym ? sym->function : "?");
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
bool ContainsPrefix(const std::vector<std::string>& v, const std::string& prefix) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.rfind(prefix, 0) == 0; });
}

// The longest common subsequence of two function lists: the functions both name, in one order.
size_t CommonInOrder(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<size_t>> lcs(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      lcs[i][j] = a[i - 1] == b[j - 1] ? lcs[i - 1][j - 1] + 1 : std::max(lcs[i - 1][j], lcs[i][j - 1]);
    }
  }
  return lcs[a.size()][b.size()];
}

struct Case {
  std::string scenario;
  std::string file;
  std::string family;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return testing::ParamName(info.param.family + "_" + info.param.scenario + "_" + info.param.file);
}

class SoftLockupStacks : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { OpenScenario(GetParam().family, GetParam().scenario, GetParam().file, f_); }
  Fixture f_;
};

TEST_P(SoftLockupStacks, BothCpusSpinInTheVethTransmitPath) {
  Fixture& f = f_;
  const EntryNames entry = EntryNamesOf(testing::FindFamily(GetParam().family));
  ASSERT_EQ(f.dump->facts().cpus.size(), 2u);
  for (const CpuState& cpu : f.dump->facts().cpus) {
    const Backtrace bt = f.state->CpuBacktrace(cpu);
    const std::vector<std::string> fns = Functions(*f.state, bt);
    SCOPED_TRACE("CPU " + std::to_string(cpu.cpu));
    EXPECT_NE(fns.front(), "?");  // the CPU's own PC has a name
    // The spinning kprobe handler of the scenario's module, then the transmit path it hooks,
    // reached through the interrupt entry that stopped the CPU.
    const auto handler = std::find(fns.begin(), fns.end(), "pick_tx_pre");
    const auto pick_tx = std::find(fns.begin(), fns.end(), "netdev_pick_tx");
    const auto core = std::find(fns.begin(), fns.end(), "netdev_core_pick_tx");
    ASSERT_NE(handler, fns.end());
    ASSERT_NE(pick_tx, fns.end());
    ASSERT_NE(core, fns.end());
    EXPECT_LT(handler, pick_tx);
    EXPECT_LT(pick_tx, core);
    EXPECT_TRUE(ContainsPrefix(fns, entry.irq_prefix));
    EXPECT_TRUE(Contains(fns, "__dev_queue_xmit"));
    EXPECT_TRUE(Contains(fns, entry.syscall));
    // Down to the system call: nothing left unexplained.
    EXPECT_TRUE(bt.complete) << bt.end;
    auto module = f.state->unwinder().Describe(bt.frames[static_cast<size_t>(handler - fns.begin())].pc, false);
    ASSERT_TRUE(module);
    EXPECT_EQ(module->module, "ktriage_test");
    // Each CPU ran its own ping (guest/init keeps IPv6 off the pair, so no kworker sends on it).
    auto current = f.state->CurrentTask(cpu.cpu);
    ASSERT_TRUE(current);
    bool found = false;
    for (const TaskInfo& t : f.state->Tasks().tasks) {
      if (t.address != *current) continue;
      found = true;
      EXPECT_EQ(t.comm, "ping");
      EXPECT_EQ(t.state, 'R');
    }
    EXPECT_TRUE(found);
  }
  // The panic CPU (whichever reported first) went through the soft lockup watchdog (6.1 names
  // its cold part).
  bool panicked = false;
  for (const CpuState& cpu : f.dump->facts().cpus) {
    const std::vector<std::string> fns = Functions(*f.state, f.state->CpuBacktrace(cpu));
    panicked |= Contains(fns, "panic") && ContainsPrefix(fns, "watchdog_timer_fn");
  }
  EXPECT_TRUE(panicked);
}

TEST_P(SoftLockupStacks, EverySleepingTaskReachesTheBottomOfItsStack) {
  Fixture& f = f_;
  const TaskListResult& tasks = f.state->Tasks();
  EXPECT_TRUE(tasks.problems.empty()) << tasks.problems.front();
  size_t sleeping = 0;
  for (const TaskInfo& t : tasks.tasks) {
    if (f.state->CurrentTask(t.cpu) == t.address) continue;
    ++sleeping;
    Result<Backtrace> bt = f.state->TaskBacktrace(t);
    ASSERT_TRUE(bt.ok()) << t.pid << ": " << bt.error().message;
    std::vector<std::string> fns = Functions(*f.state, *bt);
    // arm64 starts in __switch_to (cpu_switch_to saved its return address), x86-64 in __schedule.
    if (fns.size() > 1 && fns.front() == "__switch_to") fns.erase(fns.begin());
    EXPECT_EQ(fns.front(), "__schedule") << t.pid << " " << t.comm;
    EXPECT_TRUE(bt->complete) << t.pid << " " << t.comm << ": " << bt->end;
    if (t.kernel_thread && t.pid > 0) {
      EXPECT_TRUE(Contains(fns, "kthread") || Contains(fns, "kthreadd")) << t.comm;
    }
  }
  EXPECT_GT(sleeping, 40u);
}

// The functions of each "Call Trace:" that `cpu` printed on a console log, without the '?'
// (unreliable) ones and, with `task_part_only`, without the interrupt part; a report starts at
// its "CPU: N" line.
std::vector<std::vector<std::string>> ConsoleTraces(const fs::path& console, int cpu, bool task_part_only) {
  std::vector<std::vector<std::string>> out;
  std::ifstream in(console);
  bool ours = false, in_irq = false;
  for (std::string line; std::getline(in, line);) {
    const size_t close = line.find("] ");
    std::string text = close == std::string::npos ? line : line.substr(close + 2);
    if (text.rfind("CPU: ", 0) == 0 && text.size() > 5 && std::isdigit(static_cast<unsigned char>(text[5]))) {
      ours = std::atoi(text.c_str() + 5) == cpu;
      if (ours) out.emplace_back();
      in_irq = false;
      continue;
    }
    // Another task's stack (sched_show_task's "task:" heading, as an RCU stall prints its
    // grace-period kthread) is no CPU's: whichever CPU printed last, its trace ends here.
    if (text.rfind("task:", 0) == 0) ours = false;
    if (!ours) continue;
    while (!text.empty() && text[0] == ' ') text.erase(0, 1);
    if (text == "<IRQ>" || text == "<NMI>") in_irq = true;
    if (text == "</IRQ>" || text == "</NMI>" || text == "<TASK>") in_irq = false;
    if (text.empty() || text[0] == '?' || (task_part_only && in_irq)) continue;
    const size_t plus = text.find("+0x");
    if (plus == std::string::npos || text.find('/', plus) == std::string::npos || text.find(' ') < plus) continue;
    const std::string function = text.substr(0, plus);
    // The printing of the trace itself (panic's dump_stack): gone by the time of the dump.
    const bool printer = function.rfind("dump_stack", 0) == 0 || function == "show_stack" || function == "dump_backtrace";
    if (printer && out.back().empty()) continue;
    out.back().push_back(function);
  }
  return out;
}

// crash(8) `bt -a` with the same vmlinux and dump: per CPU, the functions it lists; nullopt, with
// crash's first error line in `why`, when it cannot read the dump.
std::optional<std::map<int, std::vector<std::string>>> CrashBtAll(const fs::path& vmlinux, const fs::path& dump,
                                                                  std::string* why) {
  const fs::path dir = fs::temp_directory_path() / ("ktriage-crash-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "cmds") << "bt -a\nquit\n";
  const std::string cmd = "cd '" + dir.string() + "' && timeout 600 crash -s '" + vmlinux.string() + "' '" +
                          dump.string() + "' -i cmds > out 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(dir / "out");
  std::map<int, std::vector<std::string>> cpus;
  int cpu = -1;
  std::string first_error;
  for (std::string line; std::getline(in, line);) {
    // "PID: 159      TASK: ffff88800538b080  CPU: 0    COMMAND: "ping""
    if (line.rfind("PID:", 0) == 0 && line.find(" CPU: ") != std::string::npos) {
      cpu = std::atoi(line.c_str() + line.find(" CPU: ") + 6);
      continue;
    }
    if (first_error.empty() && line.rfind("crash: ", 0) == 0) first_error = line;
    // " #8 [ffffc900007af760] pick_tx_pre at ffffffffc0211119 [ktriage_test]"
    std::istringstream s(line);
    std::string index, stack, fn, at;
    if (cpu < 0 || !(s >> index >> stack >> fn >> at) || index.empty() || index[0] != '#' || at != "at") continue;
    // crash lists the frame that switched stacks on both stacks (before and after "--- <IRQ stack> ---").
    if (!cpus[cpu].empty() && cpus[cpu].back() == fn) continue;
    cpus[cpu].push_back(fn);
  }
  fs::remove_all(dir);
  if (status != 0 || cpus.empty()) {
    *why = first_error.empty() ? "crash exited with status " + std::to_string(status) : first_error;
    return std::nullopt;
  }
  return cpus;
}

using SoftLockupCrashCompare = SoftLockupStacks;

// Each CPU's stack against crash's `bt -a` where crash 8.0.2 reads the dump (6.1; on 6.12 it stops
// at the 6.4 module layout and says so), else against the stacks the kernel itself printed on the
// console just before the dump: the panic CPU's whole panic trace, the other CPU's task part of its
// last soft lockup report (at dump time that CPU sits in the panic's stop IPI instead).
TEST_P(SoftLockupCrashCompare, CpuStacksAgreeWithCrashOrTheConsole) {
  Fixture& f = f_;
  std::optional<std::map<int, std::vector<std::string>>> crash;
  std::string why = "crash is not installed";
  if (std::system("command -v crash > /dev/null 2>&1") == 0) crash = CrashBtAll(f.vmlinux, f.dir / GetParam().file, &why);
  if (!crash) std::printf("%s: crash cannot read this dump (%s): comparing with console.log\n", GetParam().family.c_str(), why.c_str());
  size_t compared = 0;
  for (const CpuState& cpu : f.dump->facts().cpus) {
    SCOPED_TRACE("CPU " + std::to_string(cpu.cpu));
    const std::vector<std::string> ours = Functions(*f.state, f.state->CpuBacktrace(cpu));
    // Per CPU too: crash 8.0.2 cannot read the stopped CPU's stack on 6.1 ("read of stack at
    // fffffe000004f000 failed", the exception stack the stop NMI runs on).
    const bool by_crash = crash && (*crash)[cpu.cpu].size() > 10;
    std::vector<std::string> theirs;
    if (by_crash) {
      theirs = (*crash)[cpu.cpu];
    } else {
      if (crash) {
        // crash 8.0.2 also gives up after the IRQ stack of 6.1 ("possibly bogus exception
        // frame"): the frames it did print are ours, in its order; the console says the rest.
        const std::vector<std::string>& partial = (*crash)[cpu.cpu];
        std::printf("%s CPU %d: crash printed %zu frames: comparing those, then console.log\n", GetParam().family.c_str(),
                    cpu.cpu, partial.size());
        EXPECT_EQ(CommonInOrder(Functions(*f.state, f.state->CpuBacktrace(cpu)), partial), partial.size());
      }
      // The panic CPU's last trace is the panic's own.
      auto traces = ConsoleTraces(f.dir / "console.log", cpu.cpu, false);
      if (traces.empty()) {
        // Where the first report panics (arm64's cloud kernel has no softlockup_panic symbol for
        // the scenario to set, so it panics on any), the other CPU printed no trace at all.
        std::printf("%s CPU %d: printed no trace before the panic: nothing to compare\n", GetParam().family.c_str(), cpu.cpu);
        continue;
      }
      ASSERT_FALSE(traces.empty());
      if (!Contains(traces.back(), "panic")) traces = ConsoleTraces(f.dir / "console.log", cpu.cpu, true);
      theirs = traces.back();
    }
    ASSERT_GT(theirs.size(), 10u);
    ++compared;
    const size_t matched = CommonInOrder(ours, theirs);
    std::string listed;
    for (const std::string& fn : theirs) listed += " " + fn;
    SCOPED_TRACE("theirs:" + listed);
    listed.clear();
    for (const std::string& fn : ours) listed += " " + fn;
    SCOPED_TRACE("ours:" + listed);
    std::printf("%s CPU %d: %zu of our %zu frames are %s's (of %zu), in its order\n", GetParam().family.c_str(), cpu.cpu,
                matched, ours.size(), by_crash ? "crash" : "the console", theirs.size());
    if (by_crash) {
      // crash also lists stale return addresses and names neither the entry code nor the ftrace
      // trampoline; ours has no stale frames: most of ours are in its list, in its order.
      EXPECT_GE(matched * 4, ours.size() * 3);
    } else {
      // The kernel names one frame by an inner label (x86-64's entry_SYSCALL_64_after_hwframe,
      // arm64's ftrace_call in ftrace_common): every other reliable frame it printed is ours too,
      // in its order.
      EXPECT_GE(matched + 1, theirs.size());
    }
  }
  EXPECT_GE(compared, 1u);  // the panic CPU at least
}

INSTANTIATE_TEST_SUITE_P(Dumps, SoftLockupStacks,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"veth-softlockup-nokaslr", "vmcore.kdump-zlib", ""},
                                                                           {"veth-softlockup-kaslr", "vmcore.kdump-zlib", ""},
                                                                           {"veth-softlockup-kaslr", "vmcore.elf", ""}}, Walkable)),
                         CaseName);
// crash 8.0.2 reads nokaslr dumps only.
INSTANTIATE_TEST_SUITE_P(Dumps, SoftLockupCrashCompare,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"veth-softlockup-nokaslr", "vmcore.kdump-zlib", ""}}, Walkable)),
                         CaseName);

// A vmlinux of another build is refused with the reason, before anything is read with it: a
// module of the same kernel, and the vmlinux of every other family.
class OtherBuild : public ::testing::TestWithParam<Case> {};

TEST_P(OtherBuild, VmlinuxOfAnotherBuildIsRefused) {
  const testing::KernelFamily family = testing::FindFamily(GetParam().family);
  auto dumps = testing::DumpCacheDir(family);
  auto debuginfo = testing::DebuginfoCacheDir(family);
  if (!dumps || !debuginfo) GTEST_SKIP() << family.name << " needs `make dumps` and `make debuginfo`";
  std::vector<std::string> others;
  for (const auto& f : testing::DebuginfoBuildIds(*debuginfo)) {
    if (f.path != testing::DebuginfoVmlinux(*debuginfo)) {
      others.push_back(f.path.string());
      break;
    }
  }
  for (const testing::KernelFamily& other : testing::KernelFamilies()) {
    if (other.name == family.name) continue;
    if (auto d = testing::DebuginfoCacheDir(other)) others.push_back(testing::DebuginfoVmlinux(*d).string());
  }
  ASSERT_FALSE(others.empty());
  auto dump = DumpFile::Open({(*dumps / GetParam().scenario / GetParam().file).string()});
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  for (const std::string& other : others) {
    auto state = KernelState::Open(**dump, WithVmlinux(other));
    ASSERT_FALSE(state.ok()) << other;
    EXPECT_NE(state.error().message.find("describe another kernel"), std::string::npos) << state.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(Dumps, OtherBuild,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"sysrq-nokaslr", "vmcore.kdump-zlib", ""}}, Walkable)),
                         CaseName);

// The hung-task scenario: the blocked insmod waits in the module's own init code (init_layout on
// 6.1, mem[MOD_INIT_TEXT] on 6.12), named by the module's kallsyms and unwound by its ORC table
// down to the system call.
using HungTaskStacks = SoftLockupStacks;

TEST_P(HungTaskStacks, BlockedTaskInModuleInitCode) {
  Fixture& f = f_;
  DeepOptions options;
  options.net = false;
  DeepAnalysis deep = RunDeepAnalysis(*f.state, *f.dump, options);
  ASSERT_EQ(deep.tasks.size(), 1u);  // only the one D task by default
  const DeepStack& s = deep.tasks[0];
  EXPECT_EQ(s.task->state, 'D');
  EXPECT_EQ(s.task->comm, "insmod");
  std::vector<std::string> fns;
  for (const Frame& fr : s.frames) fns.push_back(fr.function + (fr.module.empty() ? "" : "@" + fr.module));
  EXPECT_TRUE(Contains(fns, "schedule"));
  // The function's own name, not module_init's alias for it (init_module), as the kernel prints it.
  EXPECT_TRUE(Contains(fns, "ktriage_test_init@ktriage_test"));
  EXPECT_TRUE(Contains(fns, "do_init_module"));
  EXPECT_TRUE(s.complete) << s.end;
  // khungtaskd panicked on the other CPU.
  bool watchdog = false;
  for (const DeepStack& cpu : deep.cpus) {
    for (const Frame& fr : cpu.frames) watchdog |= fr.function.rfind("watchdog", 0) == 0;
  }
  EXPECT_TRUE(watchdog);
}

INSTANTIATE_TEST_SUITE_P(Dumps, HungTaskStacks,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"hung-task-kaslr", "vmcore.kdump-zlib", ""}}, Walkable)),
                         CaseName);

}  // namespace
}  // namespace ktriage::kernel

namespace ktriage::kernel {
namespace {

// The type index of a build is kept between runs: the second open reads it instead of the DWARF's
// compile units and answers the same; an index written for another file is not trusted.
TEST(DwarfTypes, IndexCacheIsReusedAndCheckedAgainstTheFile) {
  auto debuginfo = testing::DebuginfoCacheDir();
  if (!debuginfo) GTEST_SKIP() << "needs `make debuginfo`";
  const fs::path vmlinux = testing::DebuginfoDebugRoot(*debuginfo) / ("boot/vmlinux-" + testing::DebuginfoKernelAbi(*debuginfo));
  const fs::path dir = fs::temp_directory_path() / ("ktriage-types-" + std::to_string(::getpid()));
  const fs::path cache = dir / "build.types";
  fs::remove_all(dir);
  auto first = DwarfTypes::Open(vmlinux.string(), cache.string());
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(fs::exists(cache));
  auto second = DwarfTypes::Open(vmlinux.string(), cache.string());
  ASSERT_TRUE(second.ok()) << second.error().message;
  for (const char* type : {"task_struct", "net", "sock", "module"}) {
    ASSERT_TRUE((*first)->SizeOf(type).ok()) << type;
    EXPECT_EQ(*(*first)->SizeOf(type), *(*second)->SizeOf(type)) << type;
  }
  EXPECT_EQ(*(*first)->Offset("task_struct", "thread.sp"), *(*second)->Offset("task_struct", "thread.sp"));
  // A stale index (another file's size) is ignored and rewritten; a garbage one too.
  std::ofstream(cache, std::ios::trunc) << "ktriage-types-index 1\n12345\ntask_struct 1\n";
  auto third = DwarfTypes::Open(vmlinux.string(), cache.string());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*(*third)->SizeOf("task_struct"), *(*first)->SizeOf("task_struct"));
  std::ifstream in(cache);
  std::string magic, size;
  std::getline(in, magic);
  std::getline(in, size);
  EXPECT_EQ(size, std::to_string(fs::file_size(vmlinux)));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ktriage::kernel
