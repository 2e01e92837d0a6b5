// RunDeepAnalysis: stacks first (what every dump needs), then the kernel state (which needs the
// blocked tasks' stacks for the lock chains), then the namespaces, then the findings of all three.
#include "analyzer/kernel_analyses/deep_analysis.h"

#include <algorithm>
#include <map>
#include <set>

#include "analyzer/kernel_analyses/state_findings.h"
#include "analyzer/kernel_analyses/tcp_sockets.h"
#include "base/text.h"

namespace ktriage::kernel {
namespace {

DeepStack Named(KernelState& state, const Backtrace& bt) {
  DeepStack s;
  s.complete = bt.complete;
  s.end = bt.end;
  s.raw = bt.frames;
  for (const StackFrame& f : bt.frames) {
    Frame frame;
    frame.address = f.pc;
    frame.is_ip = f.exact_pc;
    if (std::optional<CodeSymbol> sym = state.unwinder().Describe(f.pc, f.exact_pc)) {
      frame.function = sym->function;
      frame.offset = sym->offset;
      if (sym->size != 0) frame.size = sym->size;
      frame.module = sym->module;
    }
    // The module's own build-id, so that its debuginfo is matched (and fetched) by it.
    if (!frame.module.empty()) {
      if (const LoadedModule* m = state.modules().Containing(f.exact_pc ? f.pc : f.pc - 1)) frame.build_id = m->build_id;
    }
    s.frames.push_back(std::move(frame));
  }
  return s;
}

bool Selected(const std::vector<int>& list, int v) { return std::find(list.begin(), list.end(), v) != list.end(); }

DeepStack TaskStack(KernelState& state, const TaskInfo& t) {
  Result<Backtrace> bt = state.TaskBacktrace(t);
  DeepStack s;
  if (bt) {
    s = Named(state, *bt);
  } else {
    s.end = bt.error().message;
  }
  s.task = t;
  return s;
}

// The task table, run queues, RCU, lock chains and memory; `blocked` are the D tasks' stacks.
void ReadKernelState(KernelState& state, const DumpFile& dump, const DeepOptions& options,
                     const std::vector<DeepStack>& blocked, DeepAnalysis& out) {
  const KernelContext& k = state.context();
  const std::vector<TaskInfo>& tasks = state.Tasks().tasks;
  out.task_table = tasks;
  out.run_queues = ReadRunQueues(k, dump.facts().cpus, tasks);
  for (const std::string& p : out.run_queues->problems) out.problems.push_back(p);
  // Each CPU's idle task but the first is on no task list: after init_task, as ps lists them.
  size_t insert_at = out.task_table.empty() ? 0 : 1;
  for (const CpuRunQueue& q : out.run_queues->cpus) {
    if (q.idle_task == 0) continue;
    const bool known = std::any_of(out.task_table.begin(), out.task_table.end(),
                                   [&](const TaskInfo& t) { return t.address == q.idle_task; });
    if (known) continue;
    if (std::optional<TaskInfo> idle = ReadTask(k, q.idle_task, out.problems)) {
      out.task_table.insert(out.task_table.begin() + static_cast<std::ptrdiff_t>(insert_at++), *idle);
    }
  }
  if (Result<unsigned> hz = ReadHz(k)) out.hz = *hz;
  out.rcu = ReadRcuGracePeriod(k, out.jiffies);
  for (const std::string& p : out.rcu->problems) out.problems.push_back(p);

  std::map<uint64_t, std::vector<std::string>> functions;
  for (const DeepStack& s : blocked) {
    if (!s.task) continue;
    std::vector<std::string>& names = functions[s.task->address];
    for (const Frame& f : s.frames) names.push_back(f.function);
  }
  out.locks = ReadLockChains(k, out.task_table, functions, [&](uint64_t address) -> std::string {
    std::optional<CodeSymbol> sym = state.unwinder().DescribeData(address);
    if (!sym) return "";
    std::string name = sym->function;
    if (sym->offset != 0 && !name.empty()) name += "+" + HexString(sym->offset);
    if (!sym->module.empty()) name += (name.empty() ? "[" : " [") + sym->module + "]";
    return name;
  });
  for (const std::string& p : out.locks->problems) out.problems.push_back(p);
  // The owners' own stacks, where they are not among the blocked tasks already unwound.
  for (const auto& entry : out.locks->locks) {
    const uint64_t owner = entry.second.owner;  // a plain variable: clang's lambdas cannot capture a structured binding
    if (!entry.second.owner_is_task || functions.count(owner)) continue;
    const bool done = std::any_of(out.lock_owners.begin(), out.lock_owners.end(),
                                  [&](const DeepStack& s) { return s.task && s.task->address == owner; });
    if (done) continue;
    for (const TaskInfo& t : out.task_table) {
      if (t.address == owner) out.lock_owners.push_back(TaskStack(state, t));
    }
  }

  std::vector<int> cpus;
  for (const CpuState& c : dump.facts().cpus) cpus.push_back(c.cpu);
  out.memory = ReadMemoryUsage(k, dump.facts().page_size ? dump.facts().page_size : 4096, tasks, cpus);
  for (const std::string& p : out.memory->problems) out.problems.push_back(p);
  out.slab = ReadSlabCaches(k, out.memory->page_size, options.slab_caches_kept);
  for (const std::string& p : out.slab->problems) out.problems.push_back(p);
  if (Result<uint64_t> taint = k.Symbol("tainted_mask")) {
    if (Result<uint64_t> mask = k.memory.ReadU64(*taint)) out.tainted_mask = *mask;
  }
}

}  // namespace

DeepAnalysis RunDeepAnalysis(KernelState& state, const DumpFile& dump, const DeepOptions& options) {
  DeepAnalysis out;
  out.vmlinux = state.vmlinux();
  out.type_source = state.type_source();
  out.symbol_source = state.symbol_source();
  out.notes = state.notes();
  const TaskListResult& tasks = state.Tasks();
  out.task_count = tasks.tasks.size();
  out.modules = state.modules().modules;
  out.problems = tasks.problems;
  for (const std::string& p : state.modules().problems) out.problems.push_back(p);
  const bool only_named = !options.cpus.empty() || !options.pids.empty();
  // One clock for the RCU grace period's age and the TCP timers.
  Result<uint64_t> jiffies = options.kernel_state || options.net ? ReadJiffies(state.context())
                                                                 : Result<uint64_t>(Error{"not read"});
  if (jiffies) out.jiffies = *jiffies;

  if (options.stacks) {
    for (const CpuState& cpu : dump.facts().cpus) {
      if (only_named && !Selected(options.cpus, cpu.cpu)) continue;
      DeepStack s = Named(state, state.CpuBacktrace(cpu));
      s.cpu = cpu.cpu;
      if (std::optional<uint64_t> current = state.CurrentTask(cpu.cpu)) {
        for (const TaskInfo& t : tasks.tasks) {
          if (t.address == *current) s.task = t;
        }
      }
      out.cpus.push_back(std::move(s));
    }
    for (const TaskInfo& t : tasks.tasks) {
      const bool wanted = only_named ? Selected(options.pids, t.pid) : (options.all_tasks || t.state == 'D');
      if (wanted) out.tasks.push_back(TaskStack(state, t));
    }
  }

  if (options.kernel_state) {
    std::vector<DeepStack> unwound_here;
    const std::vector<DeepStack>* blocked = &out.tasks;
    if (!options.stacks || only_named) {  // the lock chains need every blocked task's stack
      for (const TaskInfo& t : tasks.tasks) {
        if (t.state == 'D') unwound_here.push_back(TaskStack(state, t));
      }
      blocked = &unwound_here;
    }
    ReadKernelState(state, dump, options, *blocked, out);
    // A CPU running its idle task: that task is known only now (it is on no task list); its run
    // queue said which it is.
    for (DeepStack& s : out.cpus) {
      if (s.task) continue;
      for (const CpuRunQueue& q : out.run_queues->cpus) {
        if (q.cpu != s.cpu) continue;
        for (const TaskInfo& t : out.task_table) {
          if (q.curr != 0 && t.address == q.curr) s.task = t;
        }
      }
    }
    // Modules with code where the CPUs and the blocked tasks were.
    std::set<std::string> seen;
    for (const std::vector<DeepStack>* list : {static_cast<const std::vector<DeepStack>*>(&out.cpus), blocked}) {
      for (const DeepStack& s : *list) {
        for (const Frame& f : s.frames) {
          if (!f.module.empty() && seen.insert(f.module).second) out.modules_on_stacks.push_back(f.module);
        }
      }
    }
  }

  if (options.net) {
    if (!jiffies) {
      out.problems.push_back("network namespaces not read: " + jiffies.error().message);
    } else {
      out.net = ReadNetNamespaces(state.context(), tasks.tasks, *jiffies);
      for (const std::string& p : out.net->problems) out.problems.push_back(p);
      for (const NetNamespaceInfo& ns : out.net->namespaces) {
        if (auto line = PinnedNamespaceFinding(ns, out.net->hz)) out.pinned_namespaces.push_back(*line);
      }
    }
  }
  for (std::vector<StateFinding> found : {LockFindings(out), MemoryFindings(out), RcuFindings(out)}) {
    for (StateFinding& f : found) out.findings.push_back(std::move(f));
  }
  for (const std::string& line : out.pinned_namespaces) out.findings.push_back({"netns-pinned", line});
  return out;
}

}  // namespace ktriage::kernel
