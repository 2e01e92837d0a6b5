// TaskList: every task of the dump (init_task.tasks, then each process's threads), with what `ps`
// and the backtraces need: pid, comm, state, CPU, when it last ran, kernel stack pointer, network
// namespace.
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
  bool on_rq = false;          // queued on `cpu`'s run queue (or running there)
  // When it last started running, in the run queue clock's nanoseconds: sched_info.last_arrival
  // (CONFIG_SCHED_INFO; 0 for a task that never did, such as the idle tasks, which the scheduler
  // does not count), else se.exec_start.
  std::optional<uint64_t> last_run;
  int prio = 0;                // kernel priority (0-99 real time, 100-139 normal)
  uint64_t mm = 0;             // struct mm_struct *; 0 for kernel threads
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

// One task, read alone (a CPU's idle task, which is on no list but init_task's own); problems
// reading it go to `problems`.
std::optional<TaskInfo> ReadTask(const KernelContext& kernel, uint64_t address, std::vector<std::string>& problems);

// Bounded by `max_tasks` and by loop detection: a corrupt list stops its walk, not the tool.
TaskListResult ReadTasks(const KernelContext& kernel, size_t max_tasks = 1u << 20);

}  // namespace ktriage::kernel
