// SlabCaches: the SLUB caches (the slab_caches list) with how much memory each holds, as crash's
// `kmem -s` counts it: slabs and objects from each node's counters (kmem_cache_node.nr_slabs and
// total_objects, kept with CONFIG_SLUB_DEBUG), bytes from the slabs' page orders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"

namespace ktriage::kernel {

struct SlabCache {
  std::string name;
  uint64_t address = 0;       // struct kmem_cache *
  uint64_t object_size = 0;   // what the caller asked for
  uint64_t size = 0;          // per object, with metadata and alignment
  uint64_t objects = 0;       // objects in its slabs, allocated or free
  uint64_t slabs = 0;
  uint64_t bytes = 0;         // pages its slabs take, in bytes
};

struct SlabCaches {
  std::vector<SlabCache> caches;       // most bytes first (name breaks ties)
  size_t count = 0;                    // caches read (all of them, unlike the ones kept)
  std::vector<std::string> problems;   // a list that loops or breaks: where the walk stopped
};

// Reads every cache; keeps the `keep` largest (0: all).
SlabCaches ReadSlabCaches(const KernelContext& kernel, uint64_t page_size, size_t keep = 0, size_t max_caches = 65536);

// Bytes of `slabs` slabs holding `objects` objects, when a cache's slabs are of its preferred
// order (`objects_per` objects in `pages_per` pages) or its fallback order (the `min_` pair): the
// two counts say how many of each there are.
uint64_t SlabBytes(uint64_t slabs, uint64_t objects, uint64_t objects_per, uint64_t pages_per, uint64_t min_objects_per,
                   uint64_t min_pages_per, uint64_t page_size);

}  // namespace ktriage::kernel
