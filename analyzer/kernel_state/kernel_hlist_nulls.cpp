// WalkHlistNulls: follows hlist_nulls_node.next (the first member of the node and of the head).
#include "analyzer/kernel_state/kernel_hlist_nulls.h"

#include <unordered_set>

#include "base/text.h"

namespace ktriage::kernel {

std::optional<std::string> WalkHlistNulls(MemoryReader& memory, uint64_t head, uint64_t node_offset, size_t max,
                                          const std::function<bool(uint64_t entry)>& visit) {
  std::unordered_set<uint64_t> seen;
  Result<uint64_t> next = memory.ReadU64(head);
  for (size_t n = 0;; ++n) {
    if (!next) return "chain at " + HexString(head) + ": " + next.error().message;
    const uint64_t node = *next;
    if (IsNullsMarker(node)) return std::nullopt;
    if (node == 0) return "chain at " + HexString(head) + ": a NULL link after " + std::to_string(n) + " entries";
    if (n >= max) return "chain at " + HexString(head) + ": more than " + std::to_string(max) + " entries; the rest not read";
    if (!seen.insert(node).second)
      return "chain at " + HexString(head) + ": loops back to " + HexString(node) + " after " + std::to_string(n) + " entries";
    if (!visit(node - node_offset)) return std::nullopt;
    next = memory.ReadU64(node);
  }
}

}  // namespace ktriage::kernel
