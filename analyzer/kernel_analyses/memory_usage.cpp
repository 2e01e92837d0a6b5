// ReadMemoryUsage. Counter indices come from the kernel's own enums (node_stat_item,
// zone_stat_item): items move between the two and get renumbered across kernels.
#include "analyzer/kernel_analyses/memory_usage.h"

#include <algorithm>
#include <set>

namespace ktriage::kernel {
namespace {

// mm_struct's rss counters (include/linux/mm_types_task.h's anonymous enum, unchanged since 4.x):
// MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES.
constexpr int kRssCounters[] = {0, 1, 3};

// Where a counter lives: an enumerator of node_stat_item, else of zone_stat_item.
struct CounterIndex {
  bool node = false;
  uint64_t index = 0;
};

std::optional<CounterIndex> IndexOf(KernelTypes& types, std::string_view name) {
  if (Result<int64_t> v = types.EnumValue("node_stat_item", name)) return CounterIndex{true, static_cast<uint64_t>(*v)};
  if (Result<int64_t> v = types.EnumValue("zone_stat_item", name)) return CounterIndex{false, static_cast<uint64_t>(*v)};
  return std::nullopt;
}

// Reads each counter with `read(node_array?, index)`.
template <typename Read>
VmCounters ReadCounters(KernelTypes& types, Read read) {
  VmCounters c;
  auto one = [&](std::string_view name, std::optional<uint64_t>& into) {
    if (std::optional<CounterIndex> at = IndexOf(types, name)) into = read(*at);
  };
  one("NR_FREE_PAGES", c.free);
  one("NR_FILE_PAGES", c.file);
  one("NR_ANON_MAPPED", c.anon);
  one("NR_SHMEM", c.shmem);
  one("NR_SLAB_RECLAIMABLE_B", c.slab_reclaimable);
  if (!c.slab_reclaimable) one("NR_SLAB_RECLAIMABLE", c.slab_reclaimable);
  one("NR_SLAB_UNRECLAIMABLE_B", c.slab_unreclaimable);
  if (!c.slab_unreclaimable) one("NR_SLAB_UNRECLAIMABLE", c.slab_unreclaimable);
  one("NR_KERNEL_STACK_KB", c.kernel_stack_kb);
  one("NR_PAGETABLE", c.page_tables);
  return c;
}

// A counter is an atomic_long_t; a transiently negative sum reads as 0, as the kernel shows it.
std::optional<uint64_t> Counter(MemoryReader& memory, uint64_t address) {
  Result<uint64_t> v = memory.ReadU64(address);
  if (!v) return std::nullopt;
  return static_cast<int64_t>(*v) < 0 ? 0 : *v;
}

// `cpu_offsets`: __per_cpu_offset of each CPU whose delta counts (6.2+ keeps RSS per CPU).
std::optional<uint64_t> Rss(const KernelContext& k, uint64_t mm, const std::vector<uint64_t>& cpu_offsets) {
  if (k.types.Has("mm_struct", "rss_stat.count")) {  // before 6.2: atomic_long_t count[]
    Result<uint64_t> off = k.types.Offset("mm_struct", "rss_stat.count");
    uint64_t sum = 0;
    for (int i : kRssCounters) {
      std::optional<uint64_t> v = Counter(k.memory, mm + *off + 8 * static_cast<uint64_t>(i));
      if (!v) return std::nullopt;
      sum += *v;
    }
    return sum;
  }
  // 6.2 and later: struct percpu_counter rss_stat[]: count plus each CPU's s32 delta.
  Result<uint64_t> off = k.types.Offset("mm_struct", "rss_stat");
  Result<uint64_t> size = k.types.SizeOf("percpu_counter");
  Result<uint64_t> count = k.types.Offset("percpu_counter", "count");
  Result<uint64_t> counters = k.types.Offset("percpu_counter", "counters");
  if (!off || !size || !count || !counters) return std::nullopt;
  int64_t sum = 0;
  for (int i : kRssCounters) {
    const uint64_t at = mm + *off + static_cast<uint64_t>(i) * *size;
    Result<uint64_t> base = k.memory.ReadU64(at + *count);
    Result<uint64_t> percpu = k.memory.ReadU64(at + *counters);
    if (!base || !percpu) return std::nullopt;
    int64_t value = static_cast<int64_t>(*base);
    for (uint64_t cpu_offset : cpu_offsets) {
      if (Result<uint32_t> delta = k.memory.ReadU32(*percpu + cpu_offset)) value += static_cast<int32_t>(*delta);
    }
    sum += std::max<int64_t>(value, 0);
  }
  return static_cast<uint64_t>(sum);
}

}  // namespace

MemoryUsage ReadMemoryUsage(const KernelContext& k, uint64_t page_size, const std::vector<TaskInfo>& tasks,
                            const std::vector<int>& cpus) {
  MemoryUsage out;
  out.page_size = page_size;
  if (auto total = k.Symbol("_totalram_pages")) out.total_pages = Counter(k.memory, *total);
  Result<uint64_t> node_stat = k.Symbol("vm_node_stat"), zone_stat = k.Symbol("vm_zone_stat");
  if (!node_stat || !zone_stat) {
    out.problems.push_back("vm counters not read: " + (!node_stat ? node_stat.error().message : zone_stat.error().message));
  } else {
    out.counters = ReadCounters(k.types, [&](CounterIndex at) {
      return Counter(k.memory, (at.node ? *node_stat : *zone_stat) + 8 * at.index);
    });
    if (!out.counters.free) out.problems.push_back("vm counters not read: the kernel's types have no zone_stat_item enum");
  }

  // Per node, where NUMA gives more than one: pglist_data.vm_stat[] and its zones' vm_stat[].
  Result<uint64_t> online = k.Symbol("nr_online_nodes"), node_data = k.Symbol("node_data");
  Result<uint32_t> nodes = online ? k.memory.ReadU32(*online) : Result<uint32_t>(online.error());
  if (nodes && *nodes > 1 && *nodes <= 1024 && node_data) {
    Result<uint64_t> node_vm = k.types.Offset("pglist_data", "vm_stat");
    Result<MemberLayout> zones = k.types.Member("pglist_data", "node_zones");
    Result<uint64_t> zone_size = k.types.SizeOf("zone");
    Result<uint64_t> zone_vm = k.types.Offset("zone", "vm_stat");
    for (uint64_t n = 0; n < *nodes && node_vm && zones && zone_size && zone_vm && *zone_size != 0; ++n) {
      Result<uint64_t> pgdat = k.memory.ReadU64(*node_data + 8 * n);
      if (!pgdat || *pgdat == 0) continue;
      NodeMemory node;
      node.node = static_cast<int>(n);
      node.counters = ReadCounters(k.types, [&](CounterIndex at) -> std::optional<uint64_t> {
        if (at.node) return Counter(k.memory, *pgdat + *node_vm + 8 * at.index);
        uint64_t sum = 0;
        for (uint64_t z = 0; z < zones->size / *zone_size; ++z) {
          std::optional<uint64_t> v = Counter(k.memory, *pgdat + zones->offset + z * *zone_size + *zone_vm + 8 * at.index);
          if (!v) return std::nullopt;
          sum += *v;
        }
        return sum;
      });
      out.nodes.push_back(std::move(node));
    }
  }

  // The default huge page size's pool: hstates[default_hstate_idx].
  if (auto hstates = k.Symbol("hstates")) {
    Result<uint64_t> size = k.types.SizeOf("hstate");
    uint64_t index = 0;
    if (auto idx = k.Symbol("default_hstate_idx")) {
      if (auto v = k.memory.ReadU32(*idx); v && *v < 16) index = *v;
    }
    if (size) {
      if (Result<KernelObject> h = k.Object("hstate", *hstates + index * *size)) {
        if (auto v = h->Unsigned("nr_huge_pages")) out.huge_pages_total = *v;
        if (auto v = h->Unsigned("free_huge_pages")) out.huge_pages_free = *v;
        if (auto order = h->Unsigned("order"); order && *order < 40) out.huge_page_size = page_size << *order;
      }
    }
  }

  // Resident sets, once per mm (threads share their leader's).
  std::vector<uint64_t> cpu_offsets;
  if (Result<uint64_t> offsets = k.Symbol("__per_cpu_offset")) {
    for (int cpu : cpus) {
      if (Result<uint64_t> o = k.memory.ReadU64(*offsets + 8 * static_cast<uint64_t>(cpu))) cpu_offsets.push_back(*o);
    }
  }
  std::set<uint64_t> seen;
  for (const TaskInfo& t : tasks) {
    if (t.mm == 0 || !seen.insert(t.mm).second) continue;
    if (std::optional<uint64_t> rss = Rss(k, t.mm, cpu_offsets)) out.top_tasks.push_back({t.address, t.tgid, t.comm, *rss});
  }
  std::stable_sort(out.top_tasks.begin(), out.top_tasks.end(),
                   [](const TaskMemory& a, const TaskMemory& b) { return a.rss_pages > b.rss_pages; });
  if (out.top_tasks.size() > 10) out.top_tasks.resize(10);
  return out;
}

}  // namespace ktriage::kernel
