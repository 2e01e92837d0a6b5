// Stacks of the real soft-lockup dumps (KASLR and not, kdump and ELF) unwound with Debian's
// vmlinux: both CPUs are in the veth transmit path under the spinning kprobe handler, every
// sleeping task's stack reaches its bottom, a vmlinux of another build is refused, and the panic
// CPU's frames come in the order crash(8) prints them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyzer/kernel_state/deep_analysis.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::kernel {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  std::unique_ptr<DumpFile> dump;
  std::unique_ptr<KernelState> state;
  fs::path vmlinux;
};

// Skips when the caches are absent; fails when they exist and do not open.
void OpenScenario(const std::string& scenario, const std::string& file, Fixture& f) {
  auto dumps = testing::DumpCacheDir();
  auto debuginfo = testing::DebuginfoCacheDir();
  if (!dumps || !debuginfo) GTEST_SKIP() << "needs `make dumps` and `make debuginfo`";
  f.vmlinux = testing::DebuginfoDebugRoot(*debuginfo) / ("boot/vmlinux-" + testing::DebuginfoKernelAbi(*debuginfo));
  auto dump = DumpFile::Open({(*dumps / scenario / file).string()});
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  f.dump = std::move(*dump);
  auto state = KernelState::Open(*f.dump, f.vmlinux.string());
  ASSERT_TRUE(state.ok()) << state.error().message;
  f.state = std::move(*state);
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

class SoftLockupStacks : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(SoftLockupStacks, BothCpusSpinInTheVethTransmitPath) {
  Fixture f;
  OpenScenario(GetParam().first, GetParam().second, f);
  if (::testing::Test::IsSkipped()) return;
  ASSERT_EQ(f.dump->facts().cpus.size(), 2u);
  for (const CpuState& cpu : f.dump->facts().cpus) {
    const Backtrace bt = f.state->CpuBacktrace(cpu);
    const std::vector<std::string> fns = Functions(*f.state, bt);
    SCOPED_TRACE("CPU " + std::to_string(cpu.cpu));
    EXPECT_NE(fns.front(), "?");  // the CPU's own PC has a name
    // The spinning kprobe handler of the scenario's module, then the transmit path it hooks.
    const auto handler = std::find(fns.begin(), fns.end(), "pick_tx_pre");
    const auto pick_tx = std::find(fns.begin(), fns.end(), "netdev_pick_tx");
    const auto core = std::find(fns.begin(), fns.end(), "netdev_core_pick_tx");
    ASSERT_NE(handler, fns.end());
    ASSERT_NE(pick_tx, fns.end());
    ASSERT_NE(core, fns.end());
    EXPECT_LT(handler, pick_tx);
    EXPECT_LT(pick_tx, core);
    EXPECT_TRUE(Contains(fns, "__dev_queue_xmit"));
    EXPECT_TRUE(Contains(fns, "do_syscall_64"));
    // Down to the system call: nothing left unexplained.
    EXPECT_TRUE(bt.complete) << bt.end;
    auto module = f.state->unwinder().Describe(bt.frames[static_cast<size_t>(handler - fns.begin())].pc, false);
    ASSERT_TRUE(module);
    EXPECT_EQ(module->module, "ktriage_test");
    // Each CPU ran its own ping (the two reports of the console log).
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
  // The panic CPU went through the soft lockup watchdog.
  const std::vector<std::string> cpu0 = Functions(*f.state, f.state->CpuBacktrace(f.dump->facts().cpus[0]));
  EXPECT_TRUE(Contains(cpu0, "panic") && Contains(cpu0, "watchdog_timer_fn.cold")) << cpu0.size();
}

TEST_P(SoftLockupStacks, EverySleepingTaskReachesTheBottomOfItsStack) {
  Fixture f;
  OpenScenario(GetParam().first, GetParam().second, f);
  if (::testing::Test::IsSkipped()) return;
  const TaskListResult& tasks = f.state->Tasks();
  EXPECT_TRUE(tasks.problems.empty()) << tasks.problems.front();
  size_t sleeping = 0;
  for (const TaskInfo& t : tasks.tasks) {
    if (f.state->CurrentTask(t.cpu) == t.address) continue;
    ++sleeping;
    Result<Backtrace> bt = f.state->TaskBacktrace(t);
    ASSERT_TRUE(bt.ok()) << t.pid << ": " << bt.error().message;
    const std::vector<std::string> fns = Functions(*f.state, *bt);
    EXPECT_EQ(fns.front(), "__schedule") << t.pid << " " << t.comm;
    EXPECT_TRUE(bt->complete) << t.pid << " " << t.comm << ": " << bt->end;
    if (t.kernel_thread && t.pid > 0) {
      EXPECT_TRUE(Contains(fns, "kthread") || Contains(fns, "kthreadd")) << t.comm;
    }
  }
  EXPECT_GT(sleeping, 40u);
}

INSTANTIATE_TEST_SUITE_P(Dumps, SoftLockupStacks,
                         ::testing::Values(std::make_pair("veth-softlockup-nokaslr", "vmcore.kdump-zlib"),
                                           std::make_pair("veth-softlockup-kaslr", "vmcore.kdump-zlib"),
                                           std::make_pair("veth-softlockup-kaslr", "vmcore.elf")),
                         [](const auto& info) {
                           std::string n = info.param.first + "_" + info.param.second;
                           std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
                           return n;
                         });

TEST(KernelState, RefusesAVmlinuxOfAnotherBuild) {
  auto dumps = testing::DumpCacheDir();
  auto debuginfo = testing::DebuginfoCacheDir();
  if (!dumps || !debuginfo) GTEST_SKIP() << "needs `make dumps` and `make debuginfo`";
  // A module with DWARF is an ELF file with a build-id that is not the kernel's.
  std::string other;
  for (const auto& f : testing::DebuginfoBuildIds(*debuginfo)) {
    if (f.path.filename() != ("vmlinux-" + testing::DebuginfoKernelAbi(*debuginfo))) other = f.path.string();
  }
  ASSERT_FALSE(other.empty());
  auto dump = DumpFile::Open({(*dumps / "sysrq-nokaslr/vmcore.kdump-zlib").string()});
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  auto state = KernelState::Open(**dump, other);
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.error().message.find("describe another kernel"), std::string::npos) << state.error().message;
}

// crash(8), given the same vmlinux and dump, prints the panic CPU's stack by its own method
// (which also lists stale return addresses); every function both name comes in the same order.
TEST(KernelState, PanicCpuFramesAgreeWithCrash) {
  if (std::system("command -v crash > /dev/null 2>&1") != 0) GTEST_SKIP() << "crash is not installed";
  Fixture f;
  OpenScenario("veth-softlockup-nokaslr", "vmcore.kdump-zlib", f);  // crash 8.0.2 reads nokaslr dumps only
  if (::testing::Test::IsSkipped()) return;
  const fs::path dir = fs::temp_directory_path() / ("ktriage-crash-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "cmds") << "bt -c 0\nquit\n";
  auto dumps = testing::DumpCacheDir();
  const std::string cmd = "cd '" + dir.string() + "' && timeout 600 crash -s '" + f.vmlinux.string() + "' '" +
                          (*dumps / "veth-softlockup-nokaslr/vmcore.kdump-zlib").string() + "' -i cmds > out 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(dir / "out");
  std::vector<std::string> crash;
  for (std::string line; std::getline(in, line);) {
    // " #8 [ffffc900007af760] pick_tx_pre at ffffffffc0211119 [ktriage_test]"
    std::istringstream s(line);
    std::string index, stack, fn, at;
    if (!(s >> index >> stack >> fn >> at) || index.empty() || index[0] != '#' || at != "at") continue;
    crash.push_back(fn);
  }
  fs::remove_all(dir);
  ASSERT_GT(crash.size(), 20u);
  const std::vector<std::string> ours = Functions(*f.state, f.state->CpuBacktrace(f.dump->facts().cpus[0]));
  // The longest common subsequence: the functions both list, in one order.
  std::vector<std::vector<size_t>> lcs(ours.size() + 1, std::vector<size_t>(crash.size() + 1, 0));
  for (size_t i = 1; i <= ours.size(); ++i) {
    for (size_t j = 1; j <= crash.size(); ++j) {
      lcs[i][j] = ours[i - 1] == crash[j - 1] ? lcs[i - 1][j - 1] + 1 : std::max(lcs[i - 1][j], lcs[i][j - 1]);
    }
  }
  const size_t matched = lcs[ours.size()][crash.size()];
  // Ours has no stale frames and names the entry code and the ftrace trampoline, which crash
  // does not: most, not all, of ours are in crash's list, in its order.
  EXPECT_GE(matched, 22u) << "crash listed " << crash.size() << " frames";
}

}  // namespace
}  // namespace ktriage::kernel

namespace ktriage::kernel {
namespace {

// The hung-task scenario: the blocked insmod waits in the module's own init code (init_layout),
// named by the module's kallsyms and unwound by its ORC table down to the system call.
TEST(KernelState, BlockedTaskInModuleInitCode) {
  Fixture f;
  OpenScenario("hung-task-kaslr", "vmcore.kdump-zlib", f);
  if (::testing::Test::IsSkipped()) return;
  DeepOptions options;
  options.net = false;
  DeepAnalysis deep = RunDeepAnalysis(*f.state, *f.dump, options);
  ASSERT_EQ(deep.tasks.size(), 1u);  // only the one D task by default
  const DeepStack& s = deep.tasks[0];
  EXPECT_EQ(s.task->state, 'D');
  EXPECT_EQ(s.task->comm, "insmod");
  std::vector<std::string> fns;
  for (const Frame& fr : s.frames) fns.push_back(fr.function + (fr.module.empty() ? "" : "@" + fr.module));
  EXPECT_TRUE(Contains(fns, "wait_for_completion"));
  EXPECT_TRUE(Contains(fns, "init_module@ktriage_test"));
  EXPECT_TRUE(Contains(fns, "do_init_module"));
  EXPECT_TRUE(s.complete) << s.end;
  // khungtaskd panicked on the other CPU.
  bool watchdog = false;
  for (const DeepStack& cpu : deep.cpus) {
    for (const Frame& fr : cpu.frames) watchdog |= fr.function == "watchdog.cold";
  }
  EXPECT_TRUE(watchdog);
}

}  // namespace
}  // namespace ktriage::kernel

namespace ktriage::kernel {
namespace {

// The type index of a build is kept between runs: the second open reads it instead of the DWARF's
// compile units and answers the same; an index written for another file is not trusted.
TEST(KernelTypes, IndexCacheIsReusedAndCheckedAgainstTheFile) {
  auto debuginfo = testing::DebuginfoCacheDir();
  if (!debuginfo) GTEST_SKIP() << "needs `make debuginfo`";
  const fs::path vmlinux = testing::DebuginfoDebugRoot(*debuginfo) / ("boot/vmlinux-" + testing::DebuginfoKernelAbi(*debuginfo));
  const fs::path dir = fs::temp_directory_path() / ("ktriage-types-" + std::to_string(::getpid()));
  const fs::path cache = dir / "build.types";
  fs::remove_all(dir);
  auto first = KernelTypes::Open(vmlinux.string(), cache.string());
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(fs::exists(cache));
  auto second = KernelTypes::Open(vmlinux.string(), cache.string());
  ASSERT_TRUE(second.ok()) << second.error().message;
  for (const char* type : {"task_struct", "net", "sock", "module"}) {
    ASSERT_TRUE((*first)->SizeOf(type).ok()) << type;
    EXPECT_EQ(*(*first)->SizeOf(type), *(*second)->SizeOf(type)) << type;
  }
  EXPECT_EQ(*(*first)->Offset("task_struct", "thread.sp"), *(*second)->Offset("task_struct", "thread.sp"));
  // A stale index (another file's size) is ignored and rewritten; a garbage one too.
  std::ofstream(cache, std::ios::trunc) << "ktriage-types-index 1\n12345\ntask_struct 1\n";
  auto third = KernelTypes::Open(vmlinux.string(), cache.string());
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
