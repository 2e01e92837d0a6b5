// WalkList: the entries of a kernel circular list (struct list_head), bounded and loop-safe, for
// every walk of dump data (tasks, threads, namespaces, devices).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "analyzer/vmcore/memory_reader.h"

namespace ktriage::kernel {

// From the list head at `head` (not an entry itself), calls `visit` with each entry's address
// (its node minus `node_offset`) until the list comes back to `head`, `visit` returns false, or
// `max` entries were seen. Returns why it stopped early when the list is broken: an unreadable
// link, a node seen twice (a loop not through the head), too many entries.
std::optional<std::string> WalkList(MemoryReader& memory, uint64_t head, uint64_t node_offset, size_t max,
                                    const std::function<bool(uint64_t entry)>& visit);

}  // namespace ktriage::kernel
