// RcuGracePeriod: the state of Tree RCU's current grace period (rcu_state and its rcu_node tree):
// whether one is in progress, for how long, and which CPUs have not yet reported a quiescent state,
// which are the CPUs an RCU stall report blames.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"

namespace ktriage::kernel {

struct RcuGracePeriod {
  std::string flavor;                  // rcu_state.name: "rcu_sched" or "rcu_preempt"
  uint64_t gp_seq = 0;                 // rcu_state.gp_seq (low two bits: the phase)
  bool in_progress = false;
  std::optional<uint64_t> age_jiffies; // jiffies since the grace period started (rcu_state.gp_start)
  std::vector<int> holding_cpus;       // CPUs whose bit is still set in a leaf rcu_node's qsmask
  bool tasks_blocking = false;         // a leaf has preempted readers blocking it (gp_tasks)
  // rcu_cpu_stall_timeout (seconds): a grace period older than this is a stall the kernel reports.
  std::optional<uint64_t> stall_timeout_s;
  std::vector<std::string> problems;
};

// `jiffies_now`: the dump's jiffies, or nullopt when unread (then no age).
RcuGracePeriod ReadRcuGracePeriod(const KernelContext& kernel, std::optional<uint64_t> jiffies_now);

}  // namespace ktriage::kernel
