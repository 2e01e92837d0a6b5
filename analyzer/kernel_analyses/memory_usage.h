// MemoryUsage: where a dump's memory went, as crash's `kmem -i` and /proc/meminfo say it: the
// global vm counters (free, page cache, anon, shmem, slab, kernel stacks, page tables), each NUMA
// node's where there are several, huge pages, and the tasks with the largest resident sets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/task_list.h"

namespace ktriage::kernel {

// Page counts; nullopt where the kernel has no such counter or it was unreadable.
struct VmCounters {
  std::optional<uint64_t> free, file, anon, shmem, slab_reclaimable, slab_unreclaimable, kernel_stack_kb, page_tables;
};

struct NodeMemory {
  int node = 0;
  VmCounters counters;  // the node's own (zone counters summed over its zones)
};

struct TaskMemory {
  uint64_t task = 0;    // the thread-group leader
  int pid = 0;
  std::string comm;
  uint64_t rss_pages = 0;  // file + anon + shmem resident pages
};

struct MemoryUsage {
  uint64_t page_size = 4096;
  std::optional<uint64_t> total_pages;   // _totalram_pages: what the page allocator manages
  VmCounters counters;                   // the whole machine's (vm_zone_stat, vm_node_stat)
  std::vector<NodeMemory> nodes;         // only where there is more than one online node
  std::optional<uint64_t> huge_pages_total, huge_pages_free, huge_page_size;  // the default hstate
  std::vector<TaskMemory> top_tasks;     // largest resident sets first (at most 10)
  std::vector<std::string> problems;
};

// `cpus`: the CPUs whose per-CPU parts of counters to add (6.2+ keeps RSS in percpu_counters).
MemoryUsage ReadMemoryUsage(const KernelContext& kernel, uint64_t page_size, const std::vector<TaskInfo>& tasks,
                            const std::vector<int>& cpus);

}  // namespace ktriage::kernel
