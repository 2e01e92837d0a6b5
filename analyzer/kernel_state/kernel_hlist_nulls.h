// WalkHlistNulls: the entries of a kernel hlist_nulls chain (the TCP/UDP established hash buckets),
// bounded and loop-safe like WalkList: a chain ends at a "nulls" marker, not at NULL.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "analyzer/vmcore/memory_reader.h"

namespace ktriage::kernel {

// From the chain head at `head` (struct hlist_nulls_head: its `first` pointer), calls `visit` with
// each entry's address (its node minus `node_offset`) until a pointer with the low bit set (the
// nulls marker, which encodes the bucket), `visit` returns false, or `max` entries were seen.
// Returns why it stopped early when the chain is broken: an unreadable link, a NULL link (a
// nulls chain never holds one), a node seen twice, too many entries.
std::optional<std::string> WalkHlistNulls(MemoryReader& memory, uint64_t head, uint64_t node_offset, size_t max,
                                          const std::function<bool(uint64_t entry)>& visit);

// Whether `pointer` is an hlist_nulls end marker (include/linux/list_nulls.h: is_a_nulls()).
inline bool IsNullsMarker(uint64_t pointer) { return (pointer & 1) != 0; }

}  // namespace ktriage::kernel
