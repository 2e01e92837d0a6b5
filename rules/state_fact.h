// StateFact: something the deep analyses of a dump found in kernel memory (not in its log), for
// `system: {state: KIND}` conditions; rule tests give them inline, as a dump would.
#pragma once

#include <set>
#include <string>

namespace ktriage::rules {

struct StateFact {
  std::string kind;  // one of KnownStateFacts()
  std::string text;  // one line saying what was found, the summary's {state}
  bool operator==(const StateFact&) const = default;
};

// The kinds the deep analyses produce (analyzer/kernel_state): a condition on any other kind
// could never hold, which lint says.
inline const std::set<std::string>& KnownStateFacts() {
  static const std::set<std::string> kinds = {
      "netns-pinned",         // a network namespace with no task left that orphaned TCP sockets keep alive
      "lock-owner",           // blocked tasks wait for a lock: who holds it and what that task is doing
      "lock-deadlock",        // tasks wait for each other's locks in a cycle
      "memory-top-consumer",  // memory ran out (< 5% free): its largest user, a slab cache, the page cache or a task
      "rcu-stall-cpu",        // a CPU holding up an RCU grace period older than the stall timeout
  };
  return kinds;
}

}  // namespace ktriage::rules
