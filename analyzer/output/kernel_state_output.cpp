// KernelStateOutput: nlohmann for the JSON values (small, once per dump); text lines built from the
// same rows so that `ps` and analyze say the same thing.
#include "analyzer/output/kernel_state_output.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "analyzer/kernel_analyses/state_findings.h"
#include "base/text.h"

namespace ktriage {
namespace {

using nlohmann::ordered_json;

const char* const kTasksSchema = "ktriage.ps/1";
const char* const kModulesSchema = "ktriage.modules/1";

template <typename T>
ordered_json Optional(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

std::string Seconds(uint64_t ns) {
  // Truncated to the millisecond, as crash's ps -m prints it.
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%llu.%03llu s", static_cast<unsigned long long>(ns / 1000000000),
                static_cast<unsigned long long>(ns / 1000000 % 1000));
  return buffer;
}

std::string ModuleState(int state) {
  switch (state) {
    case 0: return "live";
    case 1: return "coming";
    case 2: return "going";
    case 3: return "unformed";
  }
  return "unknown";
}

// What the rows need that the task list alone does not say.
class TaskIndex {
 public:
  explicit TaskIndex(const kernel::DeepAnalysis& deep) : deep_(deep) {
    for (const kernel::TaskInfo& t : deep.task_table) by_address_[t.address] = &t;
    if (deep.run_queues) {
      for (const kernel::CpuRunQueue& q : deep.run_queues->cpus) {
        clocks_[q.cpu] = q.clock;
        if (q.curr != 0) running_[q.curr] = q.cpu;
      }
    }
    if (deep.locks) {
      for (const kernel::LockWait& w : deep.locks->waits) waits_[w.task] = &w;
    }
  }
  const kernel::TaskInfo* Find(uint64_t address) const {
    auto it = by_address_.find(address);
    return it == by_address_.end() ? nullptr : it->second;
  }
  bool Running(const kernel::TaskInfo& t) const { return running_.count(t.address) != 0; }
  // Nanoseconds since it last started running, by its CPU's run queue clock, as crash's ps -m
  // measures it.
  std::optional<uint64_t> SinceLastRun(const kernel::TaskInfo& t) const {
    auto clock = clocks_.find(t.cpu);
    if (!t.last_run || clock == clocks_.end() || clock->second < *t.last_run) return std::nullopt;
    return clock->second - *t.last_run;
  }
  // "mutex ktriage_mutex_a [ktriage_test]" for a task blocked on a lock.
  std::optional<std::string> WaitingOn(const kernel::TaskInfo& t, const kernel::LockWait** wait = nullptr) const {
    auto it = waits_.find(t.address);
    if (it == waits_.end()) return std::nullopt;
    if (wait) *wait = it->second;
    const kernel::HeldLock& lock = deep_.locks->locks.at(it->second->lock);
    return std::string(kernel::LockKindName(lock.kind)) + " " + (lock.symbol.empty() ? HexString(lock.address) : lock.symbol);
  }
  ordered_json TaskRef(uint64_t address) const {
    const kernel::TaskInfo* t = Find(address);
    if (t == nullptr) return nullptr;
    return {{"pid", t->pid}, {"comm", SanitizeUtf8(t->comm)}, {"address", HexString(t->address)}};
  }
  std::string Name(uint64_t address) const {
    const kernel::TaskInfo* t = Find(address);
    return t ? kernel::TaskName(*t) : HexString(address);
  }

 private:
  const kernel::DeepAnalysis& deep_;
  std::map<uint64_t, const kernel::TaskInfo*> by_address_;
  std::map<int, uint64_t> clocks_;  // run queue clock by CPU
  std::map<uint64_t, int> running_;
  std::map<uint64_t, const kernel::LockWait*> waits_;
};

ordered_json TaskRows(const kernel::DeepAnalysis& deep, const TaskIndex& index) {
  ordered_json rows = ordered_json::array();
  for (const kernel::TaskInfo& t : deep.task_table) {
    ordered_json row;
    row["pid"] = t.pid;
    row["tgid"] = t.tgid;
    row["ppid"] = t.ppid;
    row["comm"] = SanitizeUtf8(t.comm);
    row["state"] = std::string(1, t.state);
    row["cpu"] = t.cpu;
    row["address"] = HexString(t.address);
    row["running"] = index.Running(t);
    row["on_rq"] = t.on_rq;
    row["prio"] = t.prio;
    row["kernel_thread"] = t.kernel_thread;
    row["last_run_ns"] = Optional(t.last_run);
    row["since_last_run_ns"] = Optional(index.SinceLastRun(t));
    const kernel::LockWait* wait = nullptr;
    if (index.WaitingOn(t, &wait)) {
      const kernel::HeldLock& lock = deep.locks->locks.at(wait->lock);
      row["waiting_on"] = {{"kind", std::string(kernel::LockKindName(lock.kind))},
                           {"address", HexString(lock.address)},
                           {"symbol", lock.symbol},
                           {"write", wait->write}};
    } else {
      row["waiting_on"] = nullptr;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

ordered_json CountersJson(const kernel::VmCounters& c) {
  return {{"free_pages", Optional(c.free)},
          {"file_pages", Optional(c.file)},
          {"anon_pages", Optional(c.anon)},
          {"shmem_pages", Optional(c.shmem)},
          {"slab_reclaimable_pages", Optional(c.slab_reclaimable)},
          {"slab_unreclaimable_pages", Optional(c.slab_unreclaimable)},
          {"kernel_stack_kb", Optional(c.kernel_stack_kb)},
          {"page_table_pages", Optional(c.page_tables)}};
}

bool OnStacks(const kernel::DeepAnalysis& deep, const kernel::LoadedModule& m) {
  return std::find(deep.modules_on_stacks.begin(), deep.modules_on_stacks.end(), m.name) != deep.modules_on_stacks.end();
}

ordered_json ModuleRows(const kernel::DeepAnalysis& deep) {
  ordered_json rows = ordered_json::array();
  for (const kernel::LoadedModule& m : deep.modules) {
    ordered_json row;
    row["name"] = SanitizeUtf8(m.name);
    row["address"] = HexString(m.address);
    row["text"] = HexString(m.TextBase());
    row["size"] = m.CoreSize();
    row["build_id"] = m.build_id;
    row["taints"] = kernel::TaintLetters(m.taints);
    row["out_of_tree"] = (m.taints >> kernel::kTaintOutOfTree & 1) != 0;
    row["unsigned"] = (m.taints >> kernel::kTaintUnsigned & 1) != 0;
    row["forced"] = (m.taints >> kernel::kTaintForcedModule & 1) != 0;
    row["signature_ok"] = Optional(m.signature_ok);
    row["state"] = ModuleState(m.state);
    row["on_stacks"] = OnStacks(deep, m);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string Dumped(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

std::string Pages(const std::optional<uint64_t>& pages, uint64_t page_size) {
  return pages ? kernel::ByteSize(*pages * page_size) : "?";
}

std::string DumpHeader(const pipeline::DumpAnalysisResult& result) {
  std::string out = result.dump + ": read with " + result.analysis.type_source + "; symbols from " + result.analysis.symbol_source + "\n";
  for (const std::string& n : result.analysis.notes) out += "note: " + n + "\n";
  return out;
}

void WriteProblems(std::ostream& out, const kernel::DeepAnalysis& deep) {
  for (const std::string& p : deep.problems) out << "note: " << p << '\n';
}

}  // namespace

std::string ModulesJson(const kernel::DeepAnalysis& deep) { return Dumped(ModuleRows(deep)); }

std::string KernelStateJson(const kernel::DeepAnalysis& deep) {
  const TaskIndex index(deep);
  ordered_json j;
  ordered_json findings = ordered_json::array();
  for (const kernel::StateFinding& f : deep.findings) findings.push_back({{"kind", f.kind}, {"text", SanitizeUtf8(f.text)}});
  j["findings"] = findings;
  j["ps"] = TaskRows(deep, index);
  ordered_json queues = ordered_json::array();
  if (deep.run_queues) {
    for (const kernel::CpuRunQueue& q : deep.run_queues->cpus) {
      ordered_json queued = ordered_json::array();
      for (uint64_t t : q.queued) {
        if (const kernel::TaskInfo* task = index.Find(t)) queued.push_back(task->pid);
      }
      queues.push_back({{"cpu", q.cpu},
                        {"rq", HexString(q.rq)},
                        {"curr", index.TaskRef(q.curr)},
                        {"idle", q.idle},
                        {"nr_running", q.nr_running},
                        {"clock_ns", q.clock},
                        {"queued", queued},
                        {"irqs_disabled", Optional(q.irqs_disabled)},
                        {"preempt_count", q.preempt_count ? ordered_json(HexString(*q.preempt_count)) : ordered_json(nullptr)},
                        {"context", q.context.empty() ? ordered_json(nullptr) : ordered_json(q.context)}});
    }
  }
  j["run_queues"] = queues;
  if (deep.rcu) {
    const kernel::RcuGracePeriod& r = *deep.rcu;
    j["rcu"] = {{"flavor", r.flavor},           {"gp_seq", r.gp_seq},
                {"in_progress", r.in_progress}, {"age_jiffies", Optional(r.age_jiffies)},
                {"stall_timeout_s", Optional(r.stall_timeout_s)}, {"holding_cpus", r.holding_cpus},
                {"tasks_blocking", r.tasks_blocking}};
  } else {
    j["rcu"] = nullptr;
  }
  ordered_json locks = ordered_json::array();
  ordered_json chains = ordered_json::array();
  if (deep.locks) {
    for (const auto& [address, lock] : deep.locks->locks) {
      ordered_json waiters = ordered_json::array();
      for (uint64_t t : lock.waiters) {
        if (const kernel::TaskInfo* task = index.Find(t)) waiters.push_back(task->pid);
      }
      locks.push_back({{"address", HexString(address)},
                       {"kind", std::string(kernel::LockKindName(lock.kind))},
                       {"symbol", lock.symbol},
                       {"owner", lock.owner_is_task ? index.TaskRef(lock.owner) : ordered_json(nullptr)},
                       {"owner_field", HexString(lock.owner)},
                       {"read_owned", lock.read_owned},
                       {"readers", lock.readers},
                       {"write_locked", lock.write_locked},
                       {"waiters", waiters},
                       {"problem", lock.problem}});
    }
    for (const kernel::LockChain& c : deep.locks->chains) {
      ordered_json pids = ordered_json::array(), addresses = ordered_json::array();
      for (uint64_t t : c.tasks) pids.push_back(index.Find(t) ? ordered_json(index.Find(t)->pid) : ordered_json(nullptr));
      for (uint64_t l : c.locks) addresses.push_back(HexString(l));
      chains.push_back({{"pids", pids}, {"locks", addresses}, {"deadlock", c.deadlock}});
    }
  }
  j["locks"] = locks;
  j["lock_chains"] = chains;
  if (deep.memory) {
    const kernel::MemoryUsage& m = *deep.memory;
    ordered_json memory;
    memory["page_size"] = m.page_size;
    memory["total_pages"] = Optional(m.total_pages);
    memory.update(CountersJson(m.counters));
    memory["huge_pages_total"] = Optional(m.huge_pages_total);
    memory["huge_pages_free"] = Optional(m.huge_pages_free);
    memory["huge_page_size"] = Optional(m.huge_page_size);
    ordered_json nodes = ordered_json::array();
    for (const kernel::NodeMemory& n : m.nodes) {
      ordered_json node = {{"node", n.node}};
      node.update(CountersJson(n.counters));
      nodes.push_back(node);
    }
    memory["nodes"] = nodes;
    ordered_json top = ordered_json::array();
    for (const kernel::TaskMemory& t : m.top_tasks)
      top.push_back({{"pid", t.pid}, {"comm", SanitizeUtf8(t.comm)}, {"rss_pages", t.rss_pages}});
    memory["top_tasks"] = top;
    j["memory"] = memory;
  } else {
    j["memory"] = nullptr;
  }
  if (deep.slab) {
    ordered_json largest = ordered_json::array();
    for (const kernel::SlabCache& c : deep.slab->caches) {
      largest.push_back({{"name", SanitizeUtf8(c.name)},
                         {"address", HexString(c.address)},
                         {"object_size", c.object_size},
                         {"size", c.size},
                         {"objects", c.objects},
                         {"slabs", c.slabs},
                         {"bytes", c.bytes}});
    }
    j["slab_caches"] = {{"count", deep.slab->count}, {"largest", largest}};
  } else {
    j["slab_caches"] = nullptr;
  }
  j["tainted"] = deep.tainted_mask ? ordered_json({{"mask", *deep.tainted_mask}, {"letters", kernel::TaintLetters(*deep.tainted_mask)}})
                                   : ordered_json(nullptr);
  j["modules_on_stacks"] = deep.modules_on_stacks;
  return Dumped(j);
}

std::string KernelStateText(const kernel::DeepAnalysis& deep) {
  const TaskIndex index(deep);
  std::string out;
  auto line = [&](const std::string& label, const std::string& text) { out += "  " + label + ": " + text + "\n"; };
  if (!deep.task_table.empty()) {
    std::map<char, size_t> by_state;
    for (const kernel::TaskInfo& t : deep.task_table) ++by_state[t.state];
    std::string counts;
    for (const auto& [state, n] : by_state) counts += (counts.empty() ? "" : ", ") + std::string(1, state) + " " + std::to_string(n);
    line("tasks", std::to_string(deep.task_table.size()) + " (" + counts + ")");
  }
  if (deep.run_queues) {
    for (const kernel::CpuRunQueue& q : deep.run_queues->cpus) {
      std::string text = q.idle ? "idle" : q.curr ? "running " + index.Name(q.curr) : "current task unknown";
      if (!q.context.empty()) text += ", " + q.context + " context";
      if (q.irqs_disabled) text += *q.irqs_disabled ? ", interrupts disabled" : ", interrupts enabled";
      text += "; run queue: " + std::to_string(q.nr_running) + " running";
      if (!q.queued.empty()) {
        text += " (waiting:";
        for (uint64_t t : q.queued) text += " " + index.Name(t);
        text += ")";
      }
      line("CPU " + std::to_string(q.cpu), text);
    }
  }
  if (deep.rcu && deep.rcu->in_progress) {
    const kernel::RcuGracePeriod& r = *deep.rcu;
    std::string text = (r.flavor.empty() ? "RCU" : r.flavor) + " grace period in progress";
    if (r.age_jiffies && deep.hz && *deep.hz) {
      char age[32];
      std::snprintf(age, sizeof age, " for %.1f s", static_cast<double>(*r.age_jiffies) / *deep.hz);
      text += age;
    }
    if (!r.holding_cpus.empty()) {
      text += ", waiting for CPU";
      for (int c : r.holding_cpus) text += " " + std::to_string(c);
    }
    line("rcu", text);
  }
  if (deep.locks) {
    for (const auto& [address, lock] : deep.locks->locks) {
      std::string text = std::string(kernel::LockKindName(lock.kind)) + " " +
                         (lock.symbol.empty() ? HexString(address) : lock.symbol + " (" + HexString(address) + ")");
      if (lock.owner_is_task) {
        const kernel::TaskInfo* owner = index.Find(lock.owner);
        text += (lock.read_owned ? " last taken for read by " : " held by ") + index.Name(lock.owner) +
                (owner ? " [" + std::string(1, owner->state) + "]" : "");
      } else if (!lock.problem.empty()) {
        text += ": " + lock.problem;
      } else {
        text += " with no owner recorded";
      }
      text += "; waiting:";
      for (uint64_t t : lock.waiters) text += " " + index.Name(t);
      line("lock", text);
    }
  }
  if (deep.memory && deep.memory->total_pages) {
    const kernel::MemoryUsage& m = *deep.memory;
    const kernel::VmCounters& c = m.counters;
    std::string text = kernel::ByteSize(*m.total_pages * m.page_size) + " RAM: free " + Pages(c.free, m.page_size) +
                       ", page cache " + Pages(c.file, m.page_size) + ", anon " + Pages(c.anon, m.page_size) +
                       ", shmem " + Pages(c.shmem, m.page_size) + ", slab " +
                       Pages(c.slab_reclaimable && c.slab_unreclaimable
                                 ? std::optional<uint64_t>(*c.slab_reclaimable + *c.slab_unreclaimable)
                                 : std::nullopt,
                             m.page_size) +
                       " (unreclaimable " + Pages(c.slab_unreclaimable, m.page_size) + "), kernel stacks " +
                       (c.kernel_stack_kb ? kernel::ByteSize(*c.kernel_stack_kb * 1024) : "?") + ", page tables " +
                       Pages(c.page_tables, m.page_size);
    if (m.huge_pages_total && *m.huge_pages_total != 0)
      text += ", huge pages " + std::to_string(*m.huge_pages_free) + " free of " + std::to_string(*m.huge_pages_total);
    line("memory", text);
    for (const kernel::NodeMemory& n : m.nodes)
      line("node " + std::to_string(n.node), "free " + Pages(n.counters.free, m.page_size) + ", page cache " +
                                                 Pages(n.counters.file, m.page_size) + ", anon " + Pages(n.counters.anon, m.page_size));
    if (!m.top_tasks.empty()) {
      std::string tasks;
      for (size_t i = 0; i < m.top_tasks.size() && i < 3; ++i)
        tasks += (i ? ", " : "") + ("PID " + std::to_string(m.top_tasks[i].pid) + " (" + m.top_tasks[i].comm + ") " +
                                    kernel::ByteSize(m.top_tasks[i].rss_pages * m.page_size));
      line("largest tasks", tasks);
    }
  }
  if (deep.slab && !deep.slab->caches.empty()) {
    std::string text;
    for (size_t i = 0; i < deep.slab->caches.size() && i < 5; ++i)
      text += (i ? ", " : "") + deep.slab->caches[i].name + " " + kernel::ByteSize(deep.slab->caches[i].bytes);
    line("slab caches", text + " (largest of " + std::to_string(deep.slab->count) + ")");
  }
  if (deep.tainted_mask && *deep.tainted_mask != 0) line("tainted", kernel::TaintLetters(*deep.tainted_mask));
  return out;
}

void WriteTaskTable(std::ostream& out, const pipeline::DumpAnalysisResult& result, bool json) {
  const kernel::DeepAnalysis& deep = result.analysis;
  if (json) {
    ordered_json j;
    j["schema"] = kTasksSchema;
    j["dump"] = SanitizeUtf8(result.dump);
    j["type_source"] = deep.type_source;
    j["symbol_source"] = deep.symbol_source;
    j["tasks"] = TaskRows(deep, TaskIndex(deep));
    j["problems"] = deep.problems;
    out << Dumped(j) << '\n';
    return;
  }
  const TaskIndex index(deep);
  out << DumpHeader(result);
  char row[256];
  std::snprintf(row, sizeof row, "   %6s %6s %4s  %-16s  %2s  %12s  %s\n", "PID", "PPID", "CPU", "TASK", "ST", "LAST RAN", "COMM");
  out << row;
  for (const kernel::TaskInfo& t : deep.task_table) {
    std::optional<uint64_t> since = index.SinceLastRun(t);
    const std::string comm = t.kernel_thread ? "[" + t.comm + "]" : t.comm;
    std::snprintf(row, sizeof row, "%s %6d %6d %4d  %016llx  %2c  %12s  %s", index.Running(t) ? ">" : " ", t.pid, t.ppid,
                  t.cpu, static_cast<unsigned long long>(t.address), t.state, since ? (Seconds(*since) + " ago").c_str() : "-",
                  comm.c_str());
    out << row;
    if (std::optional<std::string> waiting = index.WaitingOn(t)) out << "  waiting for " << *waiting;
    out << '\n';
  }
  WriteProblems(out, deep);
}

void WriteModuleTable(std::ostream& out, const pipeline::DumpAnalysisResult& result, bool json) {
  const kernel::DeepAnalysis& deep = result.analysis;
  if (json) {
    ordered_json j;
    j["schema"] = kModulesSchema;
    j["dump"] = SanitizeUtf8(result.dump);
    j["tainted"] = deep.tainted_mask ? ordered_json(kernel::TaintLetters(*deep.tainted_mask)) : ordered_json(nullptr);
    j["modules"] = ModuleRows(deep);
    j["problems"] = deep.problems;
    out << Dumped(j) << '\n';
    return;
  }
  out << DumpHeader(result);
  if (deep.tainted_mask) out << "kernel tainted: " << (*deep.tainted_mask ? kernel::TaintLetters(*deep.tainted_mask) : "no") << '\n';
  char row[256];
  std::snprintf(row, sizeof row, "%-20s %-18s %-18s %8s  %-6s %-8s %s\n", "NAME", "MODULE", "TEXT", "SIZE", "TAINTS", "STATE", "ON STACKS");
  out << row;
  for (const kernel::LoadedModule& m : deep.modules) {
    const std::string taints = kernel::TaintLetters(m.taints);
    std::snprintf(row, sizeof row, "%-20s %-18s %-18s %8llu  %-6s %-8s %s\n", m.name.c_str(), HexString(m.address).c_str(),
                  HexString(m.TextBase()).c_str(), static_cast<unsigned long long>(m.CoreSize()),
                  taints.empty() ? "-" : taints.c_str(), ModuleState(m.state).c_str(), OnStacks(deep, m) ? "yes" : "");
    out << row;
  }
  WriteProblems(out, deep);
}

}  // namespace ktriage
