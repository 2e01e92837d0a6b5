// TaskList: every task of the dump (init_task.tasks, then each process's threads), with what `ps`
// and the backtraces need: pid, comm, state, CPU, kernel stack pointer, network namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"

namespace ktriage::kernel {

struct TaskInfo {
  uint64_t address = 0;        // struct task_struct *
  int pid = 0;
  int tgid = 0;
  int ppid = 0;
  std::string comm;
  char state = '?';            // ps(1)'s letter: R S D T t Z X I P
  uint64_t raw_state = 0;      // __state (or state), then exit_state in the high half
  int cpu = -1;                // the CPU it last ran on
  bool on_cpu = false;         // running on `cpu` when the dump was taken
  bool kernel_thread = false;  // no mm
  uint64_t stack = 0;          // task->stack: the base of its kernel stack
  // Where switch_to left it (not running): its stack pointer (x86-64 thread.sp), and on arm64
  // the frame pointer and PC that cpu_switch_to saved with it (0 where the arch keeps them on the stack).
  uint64_t saved_sp = 0;
  uint64_t saved_fp = 0;
  uint64_t saved_pc = 0;
  uint64_t net_ns = 0;         // nsproxy->net_ns; 0 for exited tasks
};

struct TaskListResult {
  std::vector<TaskInfo> tasks;     // in list order: each process, then its other threads
  std::vector<std::string> problems;  // where a walk stopped and why (a broken link, a loop...)
};

// Bounded by `max_tasks` and by loop detection: a corrupt list stops its walk, not the tool.
TaskListResult ReadTasks(const KernelContext& kernel, size_t max_tasks = 1u << 20);

}  // namespace ktriage::kernel
