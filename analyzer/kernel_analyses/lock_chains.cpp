// ReadLockChains. mutex_lock and down_read/down_write queue a waiter (struct mutex_waiter,
// struct rwsem_waiter: a list_head, then the task) on the sleeping task's own stack, linked into
// the lock's wait_list; the one node of that ring not on a waiting task's stack is the lock's own
// list head. rt_mutex waiters are found through task->pi_blocked_on. Owner fields keep flags in
// their low bits (mutex: 3 bits; rwsem: reader-owned and non-spinnable; rt_mutex: has-waiters).
#include "analyzer/kernel_analyses/lock_chains.h"

#include <algorithm>
#include <set>

#include "analyzer/kernel_state/kernel_list.h"
#include "base/text.h"

namespace ktriage::kernel {
namespace {

constexpr uint64_t kOwnerFlagBits = 0x7;
constexpr uint64_t kRwsemReaderOwned = 0x1;
constexpr uint64_t kRwsemWriterLocked = 0x1;   // in count
constexpr unsigned kRwsemReaderShift = 8;       // readers counted from bit 8 of count
constexpr size_t kMaxWaitersWalked = 4096;

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The kernel half of the address space on x86-64 and arm64, whatever their VA sizes (48, 52, 57
// bits); the links found are checked both ways after this.
bool IsKernelPointer(uint64_t v) { return (v >> 63) != 0; }

struct WaiterLayout {
  std::string type;                // "mutex_waiter", "rwsem_waiter"
  std::string lock_type;           // "mutex", "rw_semaphore"
  uint64_t list = 0, task = 0;     // offsets in the waiter
  uint64_t wait_list = 0;          // offset of wait_list in the lock
};

class Finder {
 public:
  Finder(const KernelContext& k, const std::vector<TaskInfo>& tasks) : k_(k) {
    for (const TaskInfo& t : tasks) by_address_[t.address] = &t;
  }

  // The lock a task waiting in `kind` is queued on, found from its waiter on its stack.
  Result<uint64_t> QueuedLock(const TaskInfo& task, LockKind kind) {
    if (kind == LockKind::kRtMutex) return RtMutexLock(task);
    Result<WaiterLayout> layout = Layout(kind);
    if (!layout) return layout.error();
    if (task.stack == 0) return Error{"its stack is unknown"};
    std::vector<unsigned char> stack(k_.arch.thread_size);
    if (Status read = k_.memory.ReadVirtual(task.stack, stack.data(), stack.size()); !read)
      return Error{"its stack at " + HexString(task.stack) + " is unreadable: " + read.error().message};
    auto word = [&](size_t at) {
      uint64_t v = 0;
      for (int i = 7; i >= 0; --i) v = v << 8 | stack[at + static_cast<size_t>(i)];
      return v;
    };
    // Deepest first: the live waiter is near the saved stack pointer, stale copies may lie below.
    size_t from = 0;
    if (task.saved_sp > task.stack && task.saved_sp < task.stack + stack.size()) from = task.saved_sp - task.stack;
    from = std::max<size_t>(from & ~size_t{7}, layout->list);
    for (size_t node_at = from; node_at + 16 <= stack.size(); node_at += 8) {
      const size_t waiter_at = node_at - layout->list;
      if (waiter_at + layout->task + 8 > stack.size()) break;
      if (word(waiter_at + layout->task) != task.address) continue;
      const uint64_t next = word(node_at), prev = word(node_at + 8);
      const uint64_t node = task.stack + node_at;
      if (!IsKernelPointer(next) || !IsKernelPointer(prev) || next == node) continue;
      Result<uint64_t> back = k_.memory.ReadU64(next + 8);
      Result<uint64_t> forth = k_.memory.ReadU64(prev);
      if (!back || !forth || *back != node || *forth != node) continue;
      return HeadOf(node, *layout);
    }
    return Error{"no " + layout->type + " of it on its stack"};
  }

 private:
  Result<WaiterLayout> Layout(LockKind kind) {
    WaiterLayout l;
    l.type = kind == LockKind::kMutex ? "mutex_waiter" : "rwsem_waiter";
    l.lock_type = kind == LockKind::kMutex ? "mutex" : "rw_semaphore";
    Result<uint64_t> list = k_.types.Offset(l.type, "list"), task = k_.types.Offset(l.type, "task");
    Result<uint64_t> wait_list = k_.types.Offset(l.lock_type, "wait_list");
    if (!list) return list.error();
    if (!task) return task.error();
    if (!wait_list) return wait_list.error();
    l.list = *list;
    l.task = *task;
    l.wait_list = *wait_list;
    return l;
  }

  // Around the ring from a waiter's node: the node that is not a waiter on its task's stack.
  Result<uint64_t> HeadOf(uint64_t node, const WaiterLayout& layout) {
    uint64_t head = 0;
    std::optional<std::string> broken = WalkList(k_.memory, node, 0, kMaxWaitersWalked, [&](uint64_t entry) {
      Result<uint64_t> task = k_.memory.ReadU64(entry - layout.list + layout.task);
      auto it = task ? by_address_.find(*task) : by_address_.end();
      const bool waiter = it != by_address_.end() && entry >= it->second->stack &&
                          entry < it->second->stack + k_.arch.thread_size;
      if (!waiter) head = entry;
      return waiter;
    });
    if (head == 0) return Error{"the wait list of its " + layout.type + " has no head" + (broken ? ": " + *broken : "")};
    return head - layout.wait_list;
  }

  Result<uint64_t> RtMutexLock(const TaskInfo& task) {
    Result<KernelObject> t = k_.Object("task_struct", task.address);
    if (!t) return t.error();
    Result<uint64_t> waiter = t->Unsigned("pi_blocked_on");
    if (!waiter) return waiter.error();
    if (*waiter == 0) return Error{"pi_blocked_on is empty"};
    Result<KernelObject> w = k_.Object("rt_mutex_waiter", *waiter);
    if (!w) return w.error();
    return w->Unsigned("lock");
  }

  const KernelContext& k_;
  std::map<uint64_t, const TaskInfo*> by_address_;
};

// The owner and how the lock is held, from its fields.
void ReadOwner(const KernelContext& k, HeldLock& lock, const std::set<uint64_t>& task_addresses) {
  const char* type = lock.kind == LockKind::kMutex ? "mutex" : lock.kind == LockKind::kRwsem ? "rw_semaphore" : "rt_mutex_base";
  Result<KernelObject> object = k.Object(type, lock.address);
  if (!object) {
    lock.problem = "the lock is unreadable: " + object.error().message;
    return;
  }
  Result<uint64_t> owner = object->Unsigned(lock.kind == LockKind::kRtMutex ? "owner" : "owner.counter");
  if (!owner) owner = object->Unsigned("owner");
  if (!owner) {
    lock.problem = "no owner field: " + owner.error().message;
    return;
  }
  if (lock.kind == LockKind::kRwsem) {
    lock.read_owned = (*owner & kRwsemReaderOwned) != 0;
    if (Result<uint64_t> count = object->Unsigned("count.counter")) {
      lock.write_locked = (*count & kRwsemWriterLocked) != 0;
      lock.readers = (*count >> kRwsemReaderShift) & ((uint64_t{1} << 54) - 1);
    }
  }
  lock.owner = *owner & ~kOwnerFlagBits;
  lock.owner_is_task = task_addresses.count(lock.owner) != 0;
  if (lock.owner != 0 && !lock.owner_is_task)
    lock.problem = "its owner field points to " + HexString(lock.owner) + ", which is not a task of the task list";
}

}  // namespace

std::string_view LockKindName(LockKind kind) {
  switch (kind) {
    case LockKind::kMutex: return "mutex";
    case LockKind::kRwsem: return "rwsem";
    case LockKind::kRtMutex: return "rt_mutex";
  }
  return "lock";
}

std::optional<std::pair<LockKind, bool>> LockFunctionOf(const std::vector<std::string>& functions) {
  for (const std::string& f : functions) {
    std::string_view name = f;
    while (StartsWith(name, "_")) name.remove_prefix(1);
    if (StartsWith(name, "rwsem_down_write") || StartsWith(name, "down_write")) return std::make_pair(LockKind::kRwsem, true);
    if (StartsWith(name, "rwsem_down_read") || StartsWith(name, "down_read")) return std::make_pair(LockKind::kRwsem, false);
    if (StartsWith(name, "rt_mutex") || StartsWith(name, "rt_spin_lock")) return std::make_pair(LockKind::kRtMutex, true);
    if (StartsWith(name, "mutex_lock")) return std::make_pair(LockKind::kMutex, true);
  }
  return std::nullopt;
}

LockChains ReadLockChains(const KernelContext& k, const std::vector<TaskInfo>& tasks,
                          const std::map<uint64_t, std::vector<std::string>>& functions,
                          const std::function<std::string(uint64_t)>& name_of) {
  LockChains out;
  Finder finder(k, tasks);
  std::set<uint64_t> task_addresses;
  for (const TaskInfo& t : tasks) task_addresses.insert(t.address);
  for (const TaskInfo& t : tasks) {
    auto stack = functions.find(t.address);
    if (stack == functions.end()) continue;
    std::optional<std::pair<LockKind, bool>> in_lock = LockFunctionOf(stack->second);
    if (!in_lock) continue;
    Result<uint64_t> lock = finder.QueuedLock(t, in_lock->first);
    if (!lock) {
      out.problems.push_back("pid " + std::to_string(t.pid) + " (" + t.comm + ") waits in a " +
                             std::string(LockKindName(in_lock->first)) + " function, but its lock was not found: " +
                             lock.error().message);
      continue;
    }
    out.waits.push_back({t.address, *lock, in_lock->first, in_lock->second});
    auto [it, inserted] = out.locks.try_emplace(*lock);
    if (inserted) {
      it->second.address = *lock;
      it->second.kind = in_lock->first;
      it->second.symbol = name_of(*lock);
      ReadOwner(k, it->second, task_addresses);
    }
    it->second.waiters.push_back(t.address);
  }

  // Chains: from each waiter that owns no contended lock, owner to owner.
  std::map<uint64_t, const LockWait*> wait_of;
  std::set<uint64_t> owners;
  for (const LockWait& w : out.waits) wait_of[w.task] = &w;
  for (const auto& [address, lock] : out.locks) owners.insert(lock.owner);
  std::set<uint64_t> in_some_chain;
  auto follow = [&](uint64_t start) {
    LockChain chain;
    std::set<uint64_t> seen;
    uint64_t task = start;
    while (true) {
      chain.tasks.push_back(task);
      seen.insert(task);
      in_some_chain.insert(task);
      auto w = wait_of.find(task);
      if (w == wait_of.end()) break;
      const HeldLock& lock = out.locks.at(w->second->lock);
      chain.locks.push_back(lock.address);
      if (lock.owner == 0 || !lock.owner_is_task) break;
      if (seen.count(lock.owner)) {
        chain.deadlock = true;
        chain.tasks.push_back(lock.owner);
        break;
      }
      task = lock.owner;
    }
    return chain;
  };
  for (const LockWait& w : out.waits) {
    if (owners.count(w.task)) continue;  // someone waits for it: inside a chain, not its start
    out.chains.push_back(follow(w.task));
  }
  // What is left are cycles that no outside waiter leads into: each once, from its lowest task.
  for (const LockWait& w : out.waits) {
    if (in_some_chain.count(w.task)) continue;
    LockChain cycle = follow(w.task);
    if (!cycle.deadlock) continue;
    out.chains.push_back(std::move(cycle));
  }
  return out;
}

}  // namespace ktriage::kernel
