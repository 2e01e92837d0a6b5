// LockChains: which sleeping lock each blocked task waits for (mutex, rw_semaphore, rt_mutex), who
// holds it (the lock's owner field), and the chains that follow (A waits for a lock B holds while B
// waits for one C holds), with cycles reported as deadlocks. Needs no debuginfo: the waiter a
// blocked task queued is found on its own stack, and the lock is the list head it is queued on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/task_list.h"

namespace ktriage::kernel {

enum class LockKind { kMutex, kRwsem, kRtMutex };
std::string_view LockKindName(LockKind kind);  // "mutex", "rwsem", "rt_mutex"

struct HeldLock {
  uint64_t address = 0;            // struct mutex / rw_semaphore / rt_mutex_base
  LockKind kind = LockKind::kMutex;
  std::string symbol;              // "ktriage_mutex_a [ktriage_test]", "" for a lock not in a variable
  uint64_t owner = 0;              // the owning task from the lock's owner field (0: none recorded)
  bool owner_is_task = false;      // the owner is a task of the task list
  bool read_owned = false;         // rwsem: held by readers (owner is then the last reader, a hint)
  uint64_t readers = 0;            // rwsem: readers holding it
  bool write_locked = false;       // rwsem: held for write
  std::vector<uint64_t> waiters;   // blocked tasks found waiting on it, in task-list order
  std::string problem;             // why the owner could not be told (an owner field pointing nowhere)
};

struct LockWait {
  uint64_t task = 0;               // the blocked task
  uint64_t lock = 0;               // the lock it waits for (a HeldLock's address)
  LockKind kind = LockKind::kMutex;
  bool write = false;              // rwsem: waiting to write
};

struct LockChain {
  std::vector<uint64_t> tasks;     // from a waiter no one waits for, to the final owner
  std::vector<uint64_t> locks;     // locks[i] is what tasks[i] waits for, held by tasks[i + 1]
  bool deadlock = false;           // the last owner waits (through the chain) for a lock of its own: a cycle
};

struct LockChains {
  std::vector<LockWait> waits;     // one per blocked task whose lock was found
  std::map<uint64_t, HeldLock> locks;
  std::vector<LockChain> chains;   // every maximal chain; each cycle once, as a deadlock
  std::vector<std::string> problems;  // tasks blocked in a lock function whose lock was not found, and why
};

// The innermost sleeping-lock function on a stack (function names, innermost first): which kind of
// lock, and for an rwsem whether for write; nullopt when the stack is not in one.
std::optional<std::pair<LockKind, bool>> LockFunctionOf(const std::vector<std::string>& functions);

// `functions`: for each blocked (D) task, its stack's function names, innermost first. `name_of`:
// the variable at an address ("" when none).
LockChains ReadLockChains(const KernelContext& kernel, const std::vector<TaskInfo>& tasks,
                          const std::map<uint64_t, std::vector<std::string>>& functions,
                          const std::function<std::string(uint64_t)>& name_of);

}  // namespace ktriage::kernel
