// ReadSlabCaches. kmem_cache.oo and .min pack a slab's page order (above bit 16) and its object
// count (the low 16 bits) (mm/slub.c's OO_SHIFT); node[] holds one kmem_cache_node per NUMA node.
#include "analyzer/kernel_analyses/slab_caches.h"

#include <algorithm>

#include "analyzer/kernel_state/kernel_list.h"
#include "base/text.h"

namespace ktriage::kernel {
namespace {

constexpr unsigned kOrderShift = 16;
constexpr uint64_t kObjectsMask = 0xffff;

}  // namespace

uint64_t SlabBytes(uint64_t slabs, uint64_t objects, uint64_t objects_per, uint64_t pages_per, uint64_t min_objects_per,
                   uint64_t min_pages_per, uint64_t page_size) {
  // a + b = slabs; a * objects_per + b * min_objects_per = objects.
  if (objects_per > min_objects_per && slabs * objects_per >= objects) {
    const uint64_t short_by = slabs * objects_per - objects;
    const uint64_t fallback = short_by / (objects_per - min_objects_per);
    if (short_by % (objects_per - min_objects_per) == 0 && fallback <= slabs)
      return ((slabs - fallback) * pages_per + fallback * min_pages_per) * page_size;
  }
  return slabs * pages_per * page_size;
}

SlabCaches ReadSlabCaches(const KernelContext& k, uint64_t page_size, size_t keep, size_t max_caches) {
  SlabCaches out;
  Result<uint64_t> head = k.Symbol("slab_caches");
  Result<uint64_t> list = k.types.Offset("kmem_cache", "list");
  Result<MemberLayout> nodes = k.types.Member("kmem_cache", "node");
  if (!head || !list || !nodes) {
    out.problems.push_back("slab caches not read: " +
                           (!head ? head.error().message : !list ? list.error().message : nodes.error().message));
    return out;
  }
  if (!k.types.Has("kmem_cache_node", "nr_slabs")) {
    out.problems.push_back("slab caches not read: kmem_cache_node has no nr_slabs (a kernel without CONFIG_SLUB_DEBUG)");
    return out;
  }
  uint64_t node_count = 1;
  if (auto ids = k.Symbol("nr_node_ids")) {
    if (auto v = k.memory.ReadU32(*ids); v && *v >= 1) node_count = std::min<uint64_t>(*v, nodes->size / 8);
  }
  std::optional<std::string> broken = WalkList(k.memory, *head, *list, max_caches, [&](uint64_t address) {
    Result<KernelObject> cache = k.Object("kmem_cache", address);
    if (!cache) {
      out.problems.push_back("slab cache at " + HexString(address) + ": " + cache.error().message);
      return false;
    }
    SlabCache c;
    c.address = address;
    if (auto name = cache->Unsigned("name"); name && *name != 0) {
      if (auto text = k.memory.ReadCString(*name, 64)) c.name = *text;
    }
    if (auto v = cache->Unsigned("object_size")) c.object_size = *v;
    if (auto v = cache->Unsigned("size")) c.size = *v;
    const uint64_t oo = cache->Unsigned("oo.x").ok() ? *cache->Unsigned("oo.x") : 0;
    const uint64_t min = cache->Unsigned("min.x").ok() ? *cache->Unsigned("min.x") : oo;
    for (uint64_t n = 0; n < node_count; ++n) {
      Result<uint64_t> node = k.memory.ReadU64(address + nodes->offset + 8 * n);
      if (!node || *node == 0) continue;
      Result<KernelObject> kn = k.Object("kmem_cache_node", *node);
      if (!kn) {
        out.problems.push_back("slab cache " + c.name + ": node " + std::to_string(n) + ": " + kn.error().message);
        continue;
      }
      if (auto v = kn->Unsigned("nr_slabs.counter")) c.slabs += *v;
      if (auto v = kn->Unsigned("total_objects.counter")) c.objects += *v;
    }
    c.bytes = SlabBytes(c.slabs, c.objects, oo & kObjectsMask, uint64_t{1} << std::min<uint64_t>(oo >> kOrderShift, 20),
                        min & kObjectsMask, uint64_t{1} << std::min<uint64_t>(min >> kOrderShift, 20), page_size);
    out.caches.push_back(std::move(c));
    return true;
  });
  if (broken) out.problems.push_back("slab cache list: " + *broken + " (the caches before that are counted)");
  out.count = out.caches.size();
  std::stable_sort(out.caches.begin(), out.caches.end(), [](const SlabCache& a, const SlabCache& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.name < b.name;
  });
  if (keep != 0 && out.caches.size() > keep) out.caches.resize(keep);
  return out;
}

}  // namespace ktriage::kernel
