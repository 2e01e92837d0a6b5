// The questions asked of every dump, answered on the real scenario dumps of every walkable family:
// who holds the lock the hung tasks wait for (checked against what the test module printed and
// the hung task reports), where the memory went in the OOM panic (against the kernel's own OOM
// report and crash's kmem), which CPU holds up RCU, the modules' taints, the run queues (against
// crash's runq, mod and ps where crash reads the dump). And damaged memory: a lock owner pointing
// nowhere, a slab cache list that loops, a task list cut by a missing page stop only their walk.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include "analyzer/kernel_analyses/deep_analysis.h"
#include "analyzer/kernel_state/kernel_state.h"
#include "base/text.h"
#include "tests/kernel_state/patched_memory.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::kernel {
namespace {

namespace fs = std::filesystem;

// A match's capture groups, from [1] as in a regex; [0] is left empty. (RE2: std::regex makes
// GCC 12 warn inside libstdc++ under the sanitizers.)
using Groups = std::vector<std::string>;

std::vector<Groups> AllMatches(const std::string& text, const std::string& pattern) {
  const re2::RE2 re(pattern);
  const int n = re.NumberOfCapturingGroups();
  Groups groups(static_cast<size_t>(n) + 1);
  std::vector<re2::RE2::Arg> args(static_cast<size_t>(n));
  std::vector<const re2::RE2::Arg*> pointers(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    args[static_cast<size_t>(i)] = &groups[static_cast<size_t>(i) + 1];
    pointers[static_cast<size_t>(i)] = &args[static_cast<size_t>(i)];
  }
  std::vector<Groups> out;
  re2::StringPiece input(text);
  while (re2::RE2::FindAndConsumeN(&input, re, pointers.data(), n)) out.push_back(groups);
  return out;
}

std::optional<Groups> Search(const std::string& text, const std::string& pattern) {
  std::vector<Groups> all = AllMatches(text, pattern);
  if (all.empty()) return std::nullopt;
  return all.front();
}

bool Walkable(const testing::KernelFamily& f) { return !WhyNotWalkable(f.arch).has_value(); }

struct Case {
  std::string scenario;
  std::string file;
  std::string family;
};

using testing::PatchedMemory;

class StateAnalyses : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const testing::KernelFamily family = testing::FindFamily(GetParam().family);
    auto dumps = testing::DumpCacheDir(family);
    if (!dumps) GTEST_SKIP() << family.name << " needs `make dumps`";
    dir_ = *dumps / GetParam().scenario;
    // The vmlinux where there is one: 6.1 arm64's kallsyms name no variables, so its walks need it.
    if (auto debuginfo = testing::DebuginfoCacheDir(family)) vmlinux_ = testing::DebuginfoVmlinux(*debuginfo).string();
    auto dump = DumpFile::Open({(dir_ / GetParam().file).string()});
    ASSERT_TRUE(dump.ok()) << dump.error().message;
    dump_ = std::move(*dump);
    memory_ = std::make_unique<PatchedMemory>(*dump_);
    std::ifstream in(dir_ / "console.log");
    console_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    ASSERT_FALSE(console_.empty());
  }

  DeepAnalysis Analyze() {
    KernelSources sources;
    sources.vmlinux = vmlinux_;
    auto state = KernelState::Open(*dump_, *memory_, sources);
    EXPECT_TRUE(state.ok()) << state.error().message;
    if (!state.ok()) return {};
    state_ = std::move(*state);
    return RunDeepAnalysis(*state_, *dump_);
  }

  // Every match of `re` in the console log: its groups from [1].
  std::vector<Groups> Matches(const std::string& re) const { return AllMatches(console_, re); }

  static std::vector<std::string> Findings(const DeepAnalysis& deep, const std::string& kind) {
    std::vector<std::string> out;
    for (const StateFinding& f : deep.findings) {
      if (f.kind == kind) out.push_back(f.text);
    }
    return out;
  }

  static const TaskInfo* Task(const DeepAnalysis& deep, int pid) {
    for (const TaskInfo& t : deep.task_table) {
      if (t.pid == pid) return &t;
    }
    return nullptr;
  }

  fs::path dir_;
  std::string vmlinux_;
  std::unique_ptr<DumpFile> dump_;
  std::unique_ptr<PatchedMemory> memory_;
  std::unique_ptr<KernelState> state_;
  std::string console_;
};

// crash(8)'s output for `commands` on this dump (its vmlinux), or "" when crash cannot run here.
std::string RunCrash(const std::string& vmlinux, const fs::path& dump, const std::string& commands) {
  if (vmlinux.empty() || std::system("command -v crash > /dev/null 2>&1") != 0) return "";
  const fs::path dir = fs::temp_directory_path() / ("ktriage-crash-state-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "cmds") << commands << "quit\n";
  const std::string cmd = "cd '" + dir.string() + "' && timeout 600 crash -s '" + vmlinux + "' '" + dump.string() +
                          "' -i cmds > out 2>&1 < /dev/null";
  if (std::system(cmd.c_str()) != 0) return "";
  std::ifstream in(dir / "out");
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove_all(dir);
  return out;
}

// --- locks -------------------------------------------------------------------------------------

using LockScenario = StateAnalyses;

TEST_P(LockScenario, TheOwnerIsTheTaskTheModuleSaysHoldsTheLockAndTheHungTasksWaitForIt) {
  // "ktriage_test: kt_mutex_owner (pid 97) holds ktriage_mutex_a and sleeps"
  const auto said = Matches(R"(ktriage_test: (\S+) \(pid (\d+)\) holds (\S+)( for write)? and sleeps)");
  ASSERT_EQ(said.size(), 1u);
  const std::string owner_comm = said[0][1];
  const int owner_pid = std::stoi(said[0][2]);
  const std::string lock_name = said[0][3];
  std::set<int> hung;
  for (const auto& m : Matches(R"(INFO: task (\S+):(\d+) blocked for more than)")) hung.insert(std::stoi(m[2]));
  ASSERT_FALSE(hung.empty());

  const DeepAnalysis deep = Analyze();
  ASSERT_TRUE(deep.locks.has_value());
  const std::vector<std::string> found = Findings(deep, "lock-owner");
  ASSERT_EQ(found.size(), 1u) << ::testing::PrintToString(deep.problems);
  const std::string& text = found[0];
  EXPECT_NE(text.find("held by PID " + std::to_string(owner_pid) + " (" + owner_comm + "), which is "), std::string::npos) << text;
  EXPECT_NE(text.find("ktriage_sleep_holding [ktriage_test]"), std::string::npos) << text;
  // The lock's own name where the module keeps its variables in kallsyms (CONFIG_KALLSYMS_ALL).
  EXPECT_TRUE(text.find(lock_name + " [ktriage_test]") != std::string::npos ||
              (GetParam().family == "6.1-arm64" && text.find(" [ktriage_test] (0x") != std::string::npos))
      << text;
  for (int pid : hung) EXPECT_NE(text.find("PID " + std::to_string(pid) + " ("), std::string::npos) << pid << ": " << text;

  // The owner sleeps (or was just woken); every hung task waits on a lock of the module.
  const TaskInfo* owner = Task(deep, owner_pid);
  ASSERT_NE(owner, nullptr);
  EXPECT_NE(owner->state, 'D');
  std::set<int> waiting;
  for (const LockWait& w : deep.locks->waits) {
    for (const TaskInfo& t : deep.task_table) {
      if (t.address == w.task) waiting.insert(t.pid);
    }
  }
  for (int pid : hung) EXPECT_TRUE(waiting.count(pid)) << pid;
  const bool chain = GetParam().scenario.rfind("mutex-chain", 0) == 0;
  EXPECT_EQ(deep.locks->locks.size(), chain ? 2u : 1u);
  for (const auto& [address, lock] : deep.locks->locks) {
    EXPECT_TRUE(lock.owner_is_task) << lock.problem;
    EXPECT_TRUE(lock.problem.empty()) << lock.problem;
  }
  if (chain) {
    EXPECT_NE(text.find("; chain: "), std::string::npos) << text;
    ASSERT_FALSE(deep.locks->chains.empty());
    EXPECT_EQ(deep.locks->chains.front().locks.size(), 2u);
    EXPECT_FALSE(deep.locks->chains.front().deadlock);
  }
  if (GetParam().scenario.rfind("rwsem", 0) == 0) {
    const HeldLock& lock = deep.locks->locks.begin()->second;
    EXPECT_EQ(lock.kind, LockKind::kRwsem);
    EXPECT_TRUE(lock.write_locked);
    EXPECT_FALSE(lock.read_owned);
    for (const LockWait& w : deep.locks->waits) {
      const TaskInfo* t = nullptr;
      for (const TaskInfo& c : deep.task_table) {
        if (c.address == w.task) t = &c;
      }
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(w.write, t->comm == "kt_rw_writer2") << t->comm;
    }
  }
  // The owner's own stack is there as evidence.
  bool owner_stack = false;
  for (const DeepStack& s : deep.lock_owners) owner_stack |= s.task && s.task->pid == owner_pid && s.complete;
  EXPECT_TRUE(owner_stack);
}

TEST_P(LockScenario, AnOwnerFieldPointingNowhereIsSaidAndTheOtherAnalysesAreComplete) {
  const DeepAnalysis whole = Analyze();
  ASSERT_TRUE(whole.locks.has_value());
  ASSERT_FALSE(whole.locks->locks.empty());
  const HeldLock& lock = whole.locks->locks.rbegin()->second;  // any contended lock
  const char* type = lock.kind == LockKind::kMutex ? "mutex" : "rw_semaphore";
  Result<uint64_t> owner = state_->types().Offset(type, "owner");
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  const uint64_t nowhere = 0xffff888012345600;  // aligned like a task_struct, but no task's
  memory_->words[lock.address + *owner] = nowhere;
  const DeepAnalysis damaged = Analyze();
  ASSERT_TRUE(damaged.locks.has_value());
  auto it = damaged.locks->locks.find(lock.address);
  ASSERT_NE(it, damaged.locks->locks.end());
  EXPECT_FALSE(it->second.owner_is_task);
  EXPECT_NE(it->second.problem.find(HexString(nowhere) + ", which is not a task"), std::string::npos) << it->second.problem;
  bool said = false;
  for (const std::string& f : Findings(damaged, "lock-owner")) said |= f.find("points to " + HexString(nowhere)) != std::string::npos;
  EXPECT_TRUE(said);
  // Everything else as without the damage.
  EXPECT_EQ(damaged.task_table.size(), whole.task_table.size());
  ASSERT_TRUE(damaged.slab && whole.slab);
  EXPECT_EQ(damaged.slab->count, whole.slab->count);
  ASSERT_TRUE(damaged.memory && whole.memory);
  EXPECT_EQ(damaged.memory->counters.free, whole.memory->counters.free);
  EXPECT_EQ(damaged.cpus.size(), whole.cpus.size());
}

// The chain's first lock given to its last waiter (as an AB-BA order would): a cycle, said once as
// a deadlock naming both locks, and no lock-owner finding for it.
TEST_P(LockScenario, AChainThatClosesOnItselfIsADeadlock) {
  if (GetParam().scenario.rfind("mutex-chain", 0) != 0) GTEST_SKIP() << "needs a chain";
  const DeepAnalysis whole = Analyze();
  ASSERT_TRUE(whole.locks.has_value());
  ASSERT_EQ(whole.locks->chains.size(), 1u);
  const LockChain chain = whole.locks->chains.front();  // end -> b -> mid -> a -> owner
  ASSERT_EQ(chain.tasks.size(), 3u);
  const HeldLock& last = whole.locks->locks.at(chain.locks.back());
  Result<uint64_t> owner = state_->types().Offset("mutex", "owner");
  ASSERT_TRUE(owner.ok());
  memory_->words[last.address + *owner] = chain.tasks.front();
  const DeepAnalysis cycle = Analyze();
  ASSERT_TRUE(cycle.locks.has_value());
  const std::vector<std::string> deadlocks = Findings(cycle, "lock-deadlock");
  ASSERT_EQ(deadlocks.size(), 1u) << ::testing::PrintToString(cycle.locks->chains.size());
  EXPECT_EQ(deadlocks[0].rfind("deadlock: PID ", 0), 0u) << deadlocks[0];
  const size_t first = deadlocks[0].find(" waits for mutex ");
  ASSERT_NE(first, std::string::npos) << deadlocks[0];
  EXPECT_NE(deadlocks[0].find(" waits for mutex ", first + 1), std::string::npos) << deadlocks[0];
  EXPECT_TRUE(Findings(cycle, "lock-owner").empty());
  bool marked = false;
  for (const LockChain& c : cycle.locks->chains) marked |= c.deadlock;
  EXPECT_TRUE(marked);
}

INSTANTIATE_TEST_SUITE_P(Dumps, LockScenario,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"mutex-owner-kaslr", "vmcore.kdump-zlib", ""},
                                                                          {"mutex-chain-kaslr", "vmcore.kdump-zlib", ""},
                                                                          {"mutex-chain-nokaslr", "vmcore.elf", ""},
                                                                          {"rwsem-write-kaslr", "vmcore.kdump-zlib", ""}},
                                                                         Walkable)),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return testing::ParamName(info.param.family + "_" + info.param.scenario + "_" + info.param.file);
                         });

// --- memory ------------------------------------------------------------------------------------

using OomScenario = StateAnalyses;

TEST_P(OomScenario, TheLeakingSlabCacheIsTheAnswerAndTheCountersAreTheKernelsOwn) {
  const DeepAnalysis deep = Analyze();
  ASSERT_TRUE(deep.memory && deep.slab);
  ASSERT_FALSE(deep.slab->caches.empty());
  const SlabCache& top = deep.slab->caches.front();
  EXPECT_EQ(top.name, "ktriage_leak");
  EXPECT_EQ(top.object_size, 1000u);
  const std::vector<std::string> found = Findings(deep, "memory-top-consumer");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rfind("slab cache ktriage_leak holds ", 0), 0u) << found[0];

  // The OOM report's Mem-Info ("slab_reclaimable:2283 slab_unreclaimable:50139") and its
  // unreclaimable slab list ("ktriage_leak 191189KB 191189KB": total objects x their size).
  const auto slab = Matches(R"(slab_reclaimable:(\d+) slab_unreclaimable:(\d+))");
  ASSERT_EQ(slab.size(), 1u);
  ASSERT_TRUE(deep.memory->counters.slab_reclaimable && deep.memory->counters.slab_unreclaimable);
  EXPECT_EQ(*deep.memory->counters.slab_reclaimable, std::stoull(slab[0][1]));
  EXPECT_EQ(*deep.memory->counters.slab_unreclaimable, std::stoull(slab[0][2]));
  const auto leak = Matches(R"(ktriage_leak +(\d+)KB +(\d+)KB)");
  ASSERT_EQ(leak.size(), 1u);
  EXPECT_EQ(top.objects * top.size / 1024, std::stoull(leak[0][2]));
  const auto free = Matches(R"(Node 0 active_anon:\S+ .* free:(\d+)kB)");
  if (!free.empty()) {
    EXPECT_EQ(*deep.memory->counters.free * deep.memory->page_size / 1024, std::stoull(free[0][1]));
  }

  // crash's kmem -s and kmem -i on the same dump.
  const std::string crash = RunCrash(vmlinux_, dir_ / GetParam().file, "kmem -s ktriage_leak\nkmem -i\n");
  if (crash.empty()) GTEST_SKIP() << "crash cannot read this dump (or is not installed); the kernel's own numbers agreed";
  // "ffff8880045e6400     1000     194224    194224  12142    16k  ktriage_leak"
  std::optional<Groups> m = Search(crash, R"(([0-9a-f]{16}) +1000 +(\d+) +(\d+) +(\d+) +(\d+)k +ktriage_leak)");
  ASSERT_TRUE(m) << crash;
  EXPECT_EQ(HexString(top.address), "0x" + (*m)[1]);
  EXPECT_EQ(top.objects, std::stoull((*m)[3]));
  EXPECT_EQ(top.slabs, std::stoull((*m)[4]));
  // crash counts every slab at the cache's preferred size; slabs allocated at the fallback order
  // under memory pressure are smaller, which the objects per slab tell apart.
  EXPECT_LE(top.bytes, top.slabs * std::stoull((*m)[5]) * 1024);
  EXPECT_GE(top.bytes, top.objects * top.size);
  m = Search(crash, R"(FREE +(\d+) )");
  ASSERT_TRUE(m) << crash;
  EXPECT_EQ(*deep.memory->counters.free, std::stoull((*m)[1]));
  m = Search(crash, R"(TOTAL MEM +(\d+) )");
  ASSERT_TRUE(m) << crash;
  EXPECT_EQ(*deep.memory->total_pages, std::stoull((*m)[1]));
}

TEST_P(OomScenario, ASlabCacheListThatLoopsStopsOnlyTheSlabWalk) {
  const DeepAnalysis whole = Analyze();
  ASSERT_TRUE(whole.slab && whole.slab->count > 10);
  // The cache list in list order: make the tenth cache's next point back at the third.
  Result<uint64_t> head = state_->context().Symbol("slab_caches");
  Result<uint64_t> list = state_->types().Offset("kmem_cache", "list");
  ASSERT_TRUE(head.ok() && list.ok());
  std::vector<uint64_t> nodes;
  uint64_t node = *head;
  for (int i = 0; i < 10; ++i) {
    Result<uint64_t> next = dump_->ReadU64(node);
    ASSERT_TRUE(next.ok());
    node = *next;
    nodes.push_back(node);
  }
  memory_->words[nodes[9]] = nodes[2];
  const DeepAnalysis damaged = Analyze();
  ASSERT_TRUE(damaged.slab.has_value());
  EXPECT_EQ(damaged.slab->count, 10u);
  bool said = false;
  for (const std::string& p : damaged.slab->problems) said |= p.find("loops back to " + HexString(nodes[2])) != std::string::npos;
  EXPECT_TRUE(said) << ::testing::PrintToString(damaged.slab->problems);
  // The rest as without the damage.
  EXPECT_EQ(damaged.task_table.size(), whole.task_table.size());
  ASSERT_TRUE(damaged.memory && whole.memory);
  EXPECT_EQ(damaged.memory->counters.slab_unreclaimable, whole.memory->counters.slab_unreclaimable);
  EXPECT_EQ(damaged.modules.size(), whole.modules.size());
}

TEST_P(OomScenario, ATaskListCutByAMissingPageSaysWhereAndTheMemoryIsStillRead) {
  const DeepAnalysis whole = Analyze();
  ASSERT_GT(whole.task_table.size(), 20u);
  Result<uint64_t> link = state_->types().Offset("task_struct", "tasks");
  ASSERT_TRUE(link.ok());
  const TaskInfo& victim = whole.task_table[whole.task_table.size() / 2];
  memory_->holes.insert((victim.address + *link) & ~uint64_t{4095});
  const DeepAnalysis damaged = Analyze();
  EXPECT_LT(damaged.task_table.size(), whole.task_table.size());
  bool said = false;
  for (const std::string& p : damaged.problems) said |= p.find("taken out by the test") != std::string::npos;
  EXPECT_TRUE(said) << ::testing::PrintToString(damaged.problems);
  ASSERT_TRUE(damaged.slab && whole.slab);
  EXPECT_EQ(damaged.slab->count, whole.slab->count);
  EXPECT_EQ(damaged.slab->caches.front().name, "ktriage_leak");
  EXPECT_EQ(Findings(damaged, "memory-top-consumer").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Dumps, OomScenario,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"oom-slab-leak-kaslr", "vmcore.kdump-zlib", ""}},
                                                                          Walkable)),
                         [](const ::testing::TestParamInfo<Case>& info) { return testing::ParamName(info.param.family); });

// --- CPUs, RCU, run queues, modules --------------------------------------------------------------

using RcuScenario = StateAnalyses;

TEST_P(RcuScenario, TheCpuHoldingUpTheGracePeriodIsTheOneTheModuleSpinsOn) {
  const auto spin = Matches(R"(spinning with preemption disabled on CPU (\d+))");
  ASSERT_EQ(spin.size(), 1u);
  const int cpu = std::stoi(spin[0][1]);
  const DeepAnalysis deep = Analyze();
  ASSERT_TRUE(deep.rcu.has_value());
  EXPECT_TRUE(deep.rcu->in_progress);
  EXPECT_EQ(deep.rcu->holding_cpus, std::vector<int>{cpu});
  const std::vector<std::string> found = Findings(deep, "rcu-stall-cpu");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rfind("CPU " + std::to_string(cpu) + " holds up the rcu_", 0), 0u) << found[0];
  EXPECT_NE(found[0].find("(kt_rcu_spin) in "), std::string::npos) << found[0];
  EXPECT_NE(found[0].find("ktriage_rcu_spin [ktriage_test]"), std::string::npos) << found[0];
  ASSERT_TRUE(deep.run_queues.has_value());
  for (const CpuRunQueue& q : deep.run_queues->cpus) {
    if (q.cpu != cpu) continue;
    EXPECT_FALSE(q.idle);
    const TaskInfo* t = nullptr;
    for (const TaskInfo& c : deep.task_table) {
      if (c.address == q.curr) t = &c;
    }
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->comm, "kt_rcu_spin");
  }
  EXPECT_NE(std::find(deep.modules_on_stacks.begin(), deep.modules_on_stacks.end(), "ktriage_test"), deep.modules_on_stacks.end());
}

INSTANTIATE_TEST_SUITE_P(Dumps, RcuScenario,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"rcu-stall-kaslr", "vmcore.kdump-zlib", ""},
                                                                          {"rcu-stall-nokaslr", "vmcore.elf", ""}},
                                                                         Walkable)),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return testing::ParamName(info.param.family + "_" + info.param.scenario);
                         });

using EveryDump = StateAnalyses;

// On any dump: each CPU's current task, no stray idle task queued, no RCU or memory finding where
// nothing stalled or ran out, the test module's taints; and crash's runq, mod and ps agree.
TEST_P(EveryDump, RunQueuesModulesAndTasksAgreeWithCrash) {
  const DeepAnalysis deep = Analyze();
  ASSERT_TRUE(deep.run_queues.has_value());
  EXPECT_TRUE(deep.run_queues->problems.empty()) << ::testing::PrintToString(deep.run_queues->problems);
  EXPECT_EQ(deep.run_queues->cpus.size(), dump_->facts().cpus.size());
  std::map<int, int> current_pid;
  for (const CpuRunQueue& q : deep.run_queues->cpus) {
    const TaskInfo* t = nullptr;
    for (const TaskInfo& c : deep.task_table) {
      if (c.address == q.curr) t = &c;
    }
    ASSERT_NE(t, nullptr) << "CPU " << q.cpu;
    current_pid[q.cpu] = t->pid;
    EXPECT_EQ(q.idle, t->pid == 0);
    for (uint64_t queued : q.queued) EXPECT_NE(queued, q.idle_task);
    ASSERT_TRUE(q.preempt_count.has_value()) << "CPU " << q.cpu;
    EXPECT_FALSE(q.context.empty());
  }
  EXPECT_TRUE(Findings(deep, "rcu-stall-cpu").empty());
  EXPECT_TRUE(Findings(deep, "memory-top-consumer").empty());
  // One idle task per CPU, pid 0 each, none with a parent.
  size_t idle = 0;
  for (const TaskInfo& t : deep.task_table) {
    if (t.pid != 0) continue;
    ++idle;
    EXPECT_EQ(t.ppid, 0);
  }
  EXPECT_EQ(idle, dump_->facts().cpus.size());
  bool module = false;
  for (const LoadedModule& m : deep.modules) {
    if (m.name != "ktriage_test") continue;
    module = true;
    EXPECT_EQ(TaintLetters(m.taints), "OE");
  }
  EXPECT_TRUE(module);
  ASSERT_TRUE(deep.tainted_mask.has_value());
  EXPECT_NE(TaintLetters(*deep.tainted_mask).find("OE"), std::string::npos);

  const std::string crash = RunCrash(vmlinux_, dir_ / GetParam().file, "runq\nmod\nps\n");
  if (crash.empty()) GTEST_SKIP() << "crash cannot read this dump (or is not installed)";
  std::istringstream lines(crash);
  int cpu = -1;
  size_t cpus = 0, modules = 0, tasks = 0;
  const std::string module_row = R"(^([0-9a-f]{16}) +(\S+) +([0-9a-f]{16}) +(\d+) )";
  const std::string ps_row = R"(^[ >]+(\d+) +(-?\d+) +(\d+) +([0-9a-f]{16}) +(\S\S) )";
  for (std::string line; std::getline(lines, line);) {
    std::optional<Groups> m;
    if (line.rfind("CPU ", 0) == 0 && line.find("RUNQUEUE") != std::string::npos) cpu = std::stoi(line.substr(4));
    if (line.find("CURRENT: PID: ") != std::string::npos && cpu >= 0) {
      EXPECT_EQ(current_pid[cpu], std::stoi(line.substr(line.find("PID: ") + 5))) << line;
      ++cpus;
    } else if ((m = Search(line, module_row))) {
      bool same = false;
      for (const LoadedModule& mod : deep.modules) {
        same |= mod.name == (*m)[2] && HexString(mod.address) == "0x" + (*m)[1] &&
                HexString(mod.TextBase()) == "0x" + (*m)[3] && mod.CoreSize() == std::stoull((*m)[4]);
      }
      EXPECT_TRUE(same) << line;
      ++modules;
    } else if ((m = Search(line, ps_row))) {
      // crash lists a few tasks of these dumps (its PID hash walk fails on them): each as ours.
      bool same = false;
      for (const TaskInfo& t : deep.task_table) {
        same |= HexString(t.address) == "0x" + (*m)[4] && t.pid == std::stoi((*m)[1]) && t.cpu == std::stoi((*m)[3]);
      }
      EXPECT_TRUE(same) << line;
      ++tasks;
    }
  }
  EXPECT_EQ(cpus, deep.run_queues->cpus.size());
  EXPECT_EQ(modules, deep.modules.size());
  EXPECT_GT(tasks, 0u);
}

INSTANTIATE_TEST_SUITE_P(Dumps, EveryDump,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"mutex-chain-kaslr", "vmcore.kdump-zlib", ""}},
                                                                          Walkable)),
                         [](const ::testing::TestParamInfo<Case>& info) { return testing::ParamName(info.param.family); });

}  // namespace
}  // namespace ktriage::kernel
