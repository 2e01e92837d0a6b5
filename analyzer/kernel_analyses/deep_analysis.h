// DeepAnalysis: what a dump's memory shows beyond its log, as typed results for the
// writers and the rules: each CPU's stack, the blocked tasks' stacks, the network namespaces and
// the ones only orphaned TCP sockets keep alive. Shared by `ktriage bt`, `ktriage net` and
// `ktriage analyze`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_state.h"
#include "analyzer/kernel_analyses/lock_chains.h"
#include "analyzer/kernel_analyses/memory_usage.h"
#include "analyzer/kernel_analyses/net_namespaces.h"
#include "analyzer/kernel_analyses/rcu_grace_period.h"
#include "analyzer/kernel_analyses/run_queues.h"
#include "analyzer/kernel_analyses/slab_caches.h"
#include "analyzer/report/crash_report.h"

namespace ktriage::kernel {

struct DeepStack {
  int cpu = -1;                    // for a CPU's stack; -1 for a task's
  std::optional<TaskInfo> task;    // the task (a CPU's current task, when readable)
  std::vector<Frame> frames;       // named (function, offset, size, module), address and is_ip set
  std::vector<StackFrame> raw;     // per frame: sp and how it was found
  bool complete = false;
  std::string end;                 // why the stack ended (or stopped)
};

struct DeepOptions {
  bool all_tasks = false;          // every task's stack, not only the blocked (D) ones
  std::vector<int> cpus;           // only these CPUs (with `pids`: only what is named)
  std::vector<int> pids;
  bool stacks = true;
  bool net = true;                 // network namespaces and TCP sockets
  // The task table, run queues, RCU, lock chains, memory and slab caches (the blocked tasks'
  // stacks are unwound for the lock chains even without `stacks`).
  bool kernel_state = true;
  size_t slab_caches_kept = 20;    // the largest caches kept in the result
};

// A state finding: one line that answers the dump's question, for `system: {state: KIND}` rules.
struct StateFinding {
  std::string kind;                // "lock-owner", "lock-deadlock", "memory-top-consumer", "rcu-stall-cpu", "netns-pinned"
  std::string text;
};

struct DeepAnalysis {
  std::string vmlinux;             // "" when the dump's own BTF and kallsyms served alone
  std::string type_source;         // KernelTypes::source(): "BTF of the dump (...)", "DWARF of ..."
  std::string symbol_source;       // KernelSymbols::source()
  std::vector<std::string> notes;  // sources not used, and why (no vmlinux, a module's damaged BTF)
  std::vector<DeepStack> cpus;
  std::vector<DeepStack> tasks;
  size_t task_count = 0;           // tasks in the task list
  std::vector<LoadedModule> modules;  // the loaded modules, in list order
  std::optional<NetNamespaces> net;
  std::vector<std::string> pinned_namespaces;  // one line per namespace only TCP sockets keep alive
  // With DeepOptions::kernel_state:
  std::vector<TaskInfo> task_table;            // every task, each CPU's idle task included (list order)
  std::optional<uint64_t> jiffies;
  std::optional<unsigned> hz;
  std::optional<RunQueues> run_queues;
  std::optional<RcuGracePeriod> rcu;
  std::optional<LockChains> locks;
  std::vector<DeepStack> lock_owners;          // the stacks of lock owners that are not blocked tasks
  std::optional<MemoryUsage> memory;
  std::optional<SlabCaches> slab;
  std::optional<uint64_t> tainted_mask;        // the kernel's tainted_mask
  std::vector<std::string> modules_on_stacks;  // modules with code on a CPU's or a blocked task's stack
  std::vector<StateFinding> findings;          // the one-line answers, most specific first
  std::vector<std::string> problems;           // walks that stopped early, and why
};

DeepAnalysis RunDeepAnalysis(KernelState& state, const DumpFile& dump, const DeepOptions& options = {});

}  // namespace ktriage::kernel
