// RunQueues: what each CPU was doing when the dump was taken: its current task, whether that is the
// idle task, whether it was in an interrupt (preempt_count) or had interrupts masked (its saved
// flags), and the tasks waiting on its run queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/task_list.h"
#include "analyzer/vmcore/dump_file.h"

namespace ktriage::kernel {

struct CpuRunQueue {
  int cpu = -1;
  uint64_t rq = 0;                     // this CPU's struct rq
  uint64_t curr = 0;                   // rq->curr: the task it was running
  uint64_t idle_task = 0;              // rq->idle
  bool idle = false;                   // curr is the idle task
  uint64_t nr_running = 0;             // rq->nr_running
  uint64_t clock = 0;                  // rq->clock, ns: what the tasks' last_run is measured against
  std::vector<uint64_t> queued;        // tasks queued here (on_rq, this CPU) other than curr, in list order
  std::optional<bool> irqs_disabled;   // from the flags register the dump saved for this CPU
  std::optional<uint32_t> preempt_count;
  std::string context;                 // "nmi", "hardirq", "softirq" or "task" (from preempt_count); "" unknown
};

struct RunQueues {
  std::vector<CpuRunQueue> cpus;       // one per CPU the dump has registers of
  std::vector<std::string> problems;
};

// "nmi", "hardirq", "softirq" or "task": the innermost context a preempt_count says
// (include/linux/preempt.h: NMI bits 20-23, hard IRQ 16-19, softirq serving bit 8).
std::string ContextOfPreemptCount(uint32_t count);

RunQueues ReadRunQueues(const KernelContext& kernel, const std::vector<CpuState>& cpus,
                        const std::vector<TaskInfo>& tasks);

}  // namespace ktriage::kernel
