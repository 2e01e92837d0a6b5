// StateFindings: the sentences are built from the typed results; nothing here reads the dump.
#include "analyzer/kernel_analyses/state_findings.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "base/text.h"

namespace ktriage::kernel {
namespace {

// Scheduler and context-switch frames at the top of every sleeping stack: they say only that it sleeps.
bool IsSchedulerFrame(std::string_view f) {
  static const std::set<std::string_view> kNames = {
      "__schedule", "schedule", "schedule_preempt_disabled", "schedule_timeout", "schedule_hrtimeout_range_clock",
      "schedule_hrtimeout_range", "io_schedule", "io_schedule_timeout", "__switch_to", "__switch_to_asm",
      "context_switch", "preempt_schedule_common", "__cond_resched", "cpu_switch_to", "do_nanosleep"};
  return kNames.count(f) != 0;
}

std::string FrameName(const Frame& f) {
  std::string name = !f.function.empty() ? f.function : f.address ? HexString(*f.address) : "?";
  if (!f.module.empty()) name += " [" + f.module + "]";
  return name;
}

class Tasks {
 public:
  explicit Tasks(const DeepAnalysis& deep) {
    for (const TaskInfo& t : deep.task_table) by_address_[t.address] = &t;
    for (const DeepStack& s : deep.tasks) {
      if (s.task) stacks_[s.task->address] = &s;
    }
    for (const DeepStack& s : deep.lock_owners) {
      if (s.task) stacks_[s.task->address] = &s;
    }
    for (const DeepStack& s : deep.cpus) {
      if (s.task) on_cpu_[s.task->address] = &s;
    }
  }
  const TaskInfo* Find(uint64_t address) const {
    auto it = by_address_.find(address);
    return it == by_address_.end() ? nullptr : it->second;
  }
  std::string Name(uint64_t address) const {
    const TaskInfo* t = Find(address);
    return t ? TaskName(*t) : "the task at " + HexString(address);
  }
  // "sleeping (S) in f < g [mod]", "running on CPU 1 in ...".
  std::string Activity(uint64_t address) const {
    const TaskInfo* t = Find(address);
    if (t == nullptr) return "not a task of the task list";
    auto cpu = on_cpu_.find(address);
    const DeepStack* stack = cpu != on_cpu_.end() ? cpu->second : nullptr;
    if (stack == nullptr) {
      auto it = stacks_.find(address);
      if (it != stacks_.end()) stack = it->second;
    }
    std::string what;
    if (cpu != on_cpu_.end()) {
      what = "running on CPU " + std::to_string(cpu->second->cpu);
    } else if (t->state == 'S') {
      what = "sleeping (S)";
    } else if (t->state == 'D') {
      what = "blocked (D)";
    } else if (t->state == 'R') {
      what = "runnable (R) on CPU " + std::to_string(t->cpu);
    } else {
      what = std::string("in state ") + t->state;
    }
    const std::string frames = stack ? StackSummary(*stack) : "";
    return frames.empty() ? what : what + " in " + frames;
  }

 private:
  std::map<uint64_t, const TaskInfo*> by_address_;
  std::map<uint64_t, const DeepStack*> stacks_;
  std::map<uint64_t, const DeepStack*> on_cpu_;
};

// "mutex ktriage_mutex_a [ktriage_test] (0x...)", "rwsem X (0x..., write-locked)".
std::string LockName(const HeldLock& lock) {
  std::string how;
  if (lock.kind == LockKind::kRwsem) {
    if (lock.write_locked) {
      how = ", write-locked";
    } else if (lock.readers != 0) {
      how = ", read-locked by " + std::to_string(lock.readers) + " reader" + (lock.readers == 1 ? "" : "s");
    }
  }
  std::string out(LockKindName(lock.kind));
  if (lock.symbol.empty()) return out + " at " + HexString(lock.address) + (how.empty() ? "" : " (" + how.substr(2) + ")");
  return out + " " + lock.symbol + " (" + HexString(lock.address) + how + ")";
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "";
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buffer;
}

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string TaskName(const TaskInfo& t) { return "PID " + std::to_string(t.pid) + " (" + t.comm + ")"; }

std::string ByteSize(uint64_t bytes) {
  char buffer[32];
  if (bytes >= (uint64_t{1} << 30)) {
    std::snprintf(buffer, sizeof buffer, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  } else if (bytes >= (uint64_t{1} << 20)) {
    std::snprintf(buffer, sizeof buffer, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  } else if (bytes >= 1024) {
    std::snprintf(buffer, sizeof buffer, "%.0f KiB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(buffer, sizeof buffer, "%llu bytes", static_cast<unsigned long long>(bytes));
  }
  return buffer;
}

std::string StackSummary(const DeepStack& stack, size_t max) {
  size_t from = 0;
  // A CPU's stack: from the context the interrupt or exception stopped (its exact PC).
  if (stack.cpu >= 0) {
    for (size_t i = 1; i < stack.frames.size(); ++i) {
      if (stack.frames[i].is_ip) from = i;
    }
  }
  while (from < stack.frames.size() && IsSchedulerFrame(stack.frames[from].function)) ++from;
  std::string out;
  for (size_t i = from; i < stack.frames.size() && i < from + max; ++i) {
    if (!out.empty()) out += " < ";
    out += FrameName(stack.frames[i]);
  }
  return out;
}

std::vector<StateFinding> LockFindings(const DeepAnalysis& deep) {
  std::vector<StateFinding> out;
  if (!deep.locks) return out;
  const LockChains& locks = *deep.locks;
  const Tasks tasks(deep);
  // Chains that end at the same owner and lock are one finding: every task behind it.
  struct Group {
    std::set<uint64_t> blocked;
    std::vector<const LockChain*> chains;
  };
  std::map<std::pair<uint64_t, uint64_t>, Group> groups;  // (final owner, the lock it holds)
  for (const LockChain& chain : locks.chains) {
    if (chain.locks.empty()) continue;
    if (chain.deadlock) {
      std::string text = "deadlock: ";
      for (size_t i = 0; i < chain.locks.size(); ++i) {
        const HeldLock& lock = locks.locks.at(chain.locks[i]);
        text += (i == 0 ? tasks.Name(chain.tasks[i]) : std::string(", which")) + " waits for " + LockName(lock) +
                " held by " + tasks.Name(lock.owner);
      }
      out.push_back({"lock-deadlock", text});
      continue;
    }
    const uint64_t last_lock = chain.locks.back();
    const HeldLock& lock = locks.locks.at(last_lock);
    Group& g = groups[{lock.owner, last_lock}];
    // tasks[i] waits for locks[i]: the first locks.size() tasks are the blocked ones.
    for (size_t i = 0; i < chain.locks.size() && i < chain.tasks.size(); ++i) g.blocked.insert(chain.tasks[i]);
    g.chains.push_back(&chain);
  }
  for (const auto& [key, group] : groups) {
    const HeldLock& lock = locks.locks.at(key.second);
    std::string text = std::to_string(group.blocked.size()) + (group.blocked.size() == 1 ? " task" : " tasks") +
                       " blocked on " + LockName(lock);
    if (lock.owner == 0) {
      text += ", which records no owner";
    } else if (!lock.owner_is_task) {
      text += ", whose owner field points to " + HexString(lock.owner) + ", not a task of the task list";
    } else if (lock.read_owned) {
      text += " (the last reader to take it: " + tasks.Name(lock.owner) + ", which is " + tasks.Activity(lock.owner) + ")";
    } else {
      text += " held by " + tasks.Name(lock.owner) + ", which is " + tasks.Activity(lock.owner);
    }
    // The longest chain into it, when there is one of more than one lock.
    const LockChain* longest = nullptr;
    for (const LockChain* c : group.chains) {
      if (longest == nullptr || c->locks.size() > longest->locks.size()) longest = c;
    }
    if (longest != nullptr && longest->locks.size() > 1) {
      text += "; chain: " + tasks.Name(longest->tasks[0]);
      for (size_t i = 0; i < longest->locks.size(); ++i) {
        const HeldLock& link = locks.locks.at(longest->locks[i]);
        text += (i == 0 ? "" : ", which") + std::string(" waits for ") + LockName(link) + " held by " + tasks.Name(link.owner);
      }
    }
    // By pid, as ps lists them.
    std::vector<std::pair<int, std::string>> names;
    for (uint64_t t : group.blocked) names.emplace_back(tasks.Find(t) ? tasks.Find(t)->pid : -1, tasks.Name(t));
    std::sort(names.begin(), names.end());
    text += "; blocked: ";
    for (size_t i = 0; i < names.size(); ++i) text += (i ? ", " : "") + names[i].second;
    out.push_back({"lock-owner", text});
  }
  return out;
}

std::vector<StateFinding> MemoryFindings(const DeepAnalysis& deep) {
  std::vector<StateFinding> out;
  if (!deep.memory || !deep.memory->total_pages) return out;
  const MemoryUsage& m = *deep.memory;
  const uint64_t total = *m.total_pages * m.page_size;
  // Where the memory went is the question only when it ran out: less than 5% free.
  if (!m.counters.free || *m.counters.free * 20 >= *m.total_pages) return out;
  struct Consumer {
    uint64_t bytes = 0;
    std::string text;
  };
  std::vector<Consumer> consumers;
  if (deep.slab && !deep.slab->caches.empty()) {
    const SlabCache& c = deep.slab->caches.front();
    consumers.push_back({c.bytes, "slab cache " + c.name + " holds " + ByteSize(c.bytes) + " (" + Thousands(c.objects) +
                                      " objects of " + std::to_string(c.object_size) + " bytes in " + Thousands(c.slabs) +
                                      " slabs)"});
  }
  if (m.counters.file) {
    const uint64_t bytes = *m.counters.file * m.page_size;
    consumers.push_back({bytes, "the page cache holds " + ByteSize(bytes)});
  }
  if (!m.top_tasks.empty()) {
    const TaskMemory& t = m.top_tasks.front();
    const uint64_t bytes = t.rss_pages * m.page_size;
    consumers.push_back({bytes, "PID " + std::to_string(t.pid) + " (" + t.comm + ") has " + ByteSize(bytes) + " resident"});
  }
  if (consumers.empty()) return out;
  std::stable_sort(consumers.begin(), consumers.end(), [](const Consumer& a, const Consumer& b) { return a.bytes > b.bytes; });
  std::string text = consumers[0].text + ", " + Percent(consumers[0].bytes, total) + " of " + ByteSize(total) + " of RAM";
  if (m.counters.free) text += " (" + ByteSize(*m.counters.free * m.page_size) + " free)";
  for (size_t i = 1; i < consumers.size(); ++i) text += (i == 1 ? "; then: " : "; ") + consumers[i].text;
  out.push_back({"memory-top-consumer", text});
  return out;
}

std::vector<StateFinding> RcuFindings(const DeepAnalysis& deep) {
  std::vector<StateFinding> out;
  if (!deep.rcu || !deep.rcu->in_progress || !deep.hz || *deep.hz == 0) return out;
  const RcuGracePeriod& rcu = *deep.rcu;
  // Only a grace period the kernel would call stalled (21 s by default): a younger one is normal,
  // and CPUs stopped by the panic hold one up too.
  constexpr uint64_t kDefaultStallTimeout = 21;
  if (!rcu.age_jiffies || *rcu.age_jiffies < rcu.stall_timeout_s.value_or(kDefaultStallTimeout) * *deep.hz) return out;
  const Tasks tasks(deep);
  char age[32];
  std::snprintf(age, sizeof age, "%.1f s", static_cast<double>(*rcu.age_jiffies) / *deep.hz);
  for (int cpu : rcu.holding_cpus) {
    std::string text = "CPU " + std::to_string(cpu) + " holds up the " + (rcu.flavor.empty() ? "RCU" : rcu.flavor) +
                       " grace period (running for " + age + " at the dump)";
    for (const DeepStack& s : deep.cpus) {
      if (s.cpu != cpu) continue;
      if (s.task) text += ": it is running " + TaskName(*s.task);
      const std::string frames = StackSummary(s);
      if (!frames.empty()) text += " in " + frames;
    }
    if (deep.run_queues) {
      for (const CpuRunQueue& q : deep.run_queues->cpus) {
        if (q.cpu != cpu) continue;
        if (!q.context.empty()) text += ", in " + q.context + " context";
        if (q.irqs_disabled) text += *q.irqs_disabled ? ", interrupts disabled" : ", interrupts enabled";
      }
    }
    out.push_back({"rcu-stall-cpu", text});
  }
  if (rcu.tasks_blocking)
    out.push_back({"rcu-stall-cpu", "preempted RCU readers hold up the " + rcu.flavor + " grace period (running for " + age + ")"});
  return out;
}

}  // namespace ktriage::kernel
