// StateFindings: the one-line answers a dump's kernel state gives (who holds the lock the blocked
// tasks wait for, where the memory went, which CPU holds up RCU), written once here for the text
// and JSON outputs and for the rules' `system: {state: KIND}` conditions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/kernel_analyses/deep_analysis.h"

namespace ktriage::kernel {

// "lock-owner" per final owner of contended locks, "lock-deadlock" per cycle.
std::vector<StateFinding> LockFindings(const DeepAnalysis& deep);
// "memory-top-consumer", when less than 5% of memory is free: the largest of a slab cache, the page
// cache and a task's resident set.
std::vector<StateFinding> MemoryFindings(const DeepAnalysis& deep);
// "rcu-stall-cpu" per CPU still holding up a grace period older than the RCU stall timeout.
std::vector<StateFinding> RcuFindings(const DeepAnalysis& deep);

// "PID 97 (kt_mutex_owner)": how every answer names a task.
std::string TaskName(const TaskInfo& task);
// "190.2 MiB", "512 KiB", "100 bytes".
std::string ByteSize(uint64_t bytes);
// The frames of a stack a reader needs: past the scheduler's own and, for a CPU, from the
// context an interrupt or exception stopped ("msleep_interruptible < ktriage_sleep_holding
// [ktriage_test] < kthread"), at most `max` of them.
std::string StackSummary(const DeepStack& stack, size_t max = 4);

}  // namespace ktriage::kernel
