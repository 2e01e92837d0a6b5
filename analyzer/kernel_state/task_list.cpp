// ReadTasks: init_task.tasks for the processes, each leader's signal->thread_head (thread_node)
// or thread_group for its threads; fields by name, with the renames of recent kernels.
#include "analyzer/kernel_state/task_list.h"

#include "analyzer/kernel_state/kernel_list.h"
#include "base/text.h"

namespace ktriage::kernel {
namespace {

// ps(1)'s letter from __state and exit_state (include/linux/sched.h's bits, stable since 4.14).
char StateLetter(uint64_t state, uint64_t exit_state) {
  if (exit_state & 0x20) return 'Z';   // EXIT_ZOMBIE
  if (exit_state & 0x10) return 'X';   // EXIT_DEAD
  if (state == 0) return 'R';
  if ((state & 0x402) == 0x402) return 'I';  // TASK_IDLE: uninterruptible, not counted in load
  if (state & 0x2) return 'D';
  if (state & 0x1) return 'S';
  if (state & 0x4) return 'T';
  if (state & 0x8) return 't';
  if (state & 0x40) return 'P';        // TASK_PARKED
  if (state & 0x80) return 'X';        // TASK_DEAD
  return '?';
}

class TaskReader {
 public:
  TaskReader(const KernelContext& k, std::vector<std::string>& problems) : k_(k), problems_(problems) {
    state_field_ = k.types.Has("task_struct", "__state") ? "__state" : "state";
    cpu_field_ = k.types.Has("task_struct", "cpu") ? "cpu" : "thread_info.cpu";
  }

  std::optional<TaskInfo> Read(uint64_t address) {
    Result<KernelObject> t = k_.Object("task_struct", address);
    if (!t) {
      problems_.push_back("task at " + HexString(address) + ": " + t.error().message);
      return std::nullopt;
    }
    TaskInfo info;
    info.address = address;
    info.pid = static_cast<int>(t->Signed("pid").ok() ? *t->Signed("pid") : 0);
    info.tgid = static_cast<int>(t->Signed("tgid").ok() ? *t->Signed("tgid") : 0);
    if (auto comm = t->CharArray("comm")) info.comm = *comm;
    const uint64_t state = t->Unsigned(state_field_).ok() ? *t->Unsigned(state_field_) : 0;
    const uint64_t exit_state = t->Unsigned("exit_state").ok() ? *t->Unsigned("exit_state") : 0;
    info.raw_state = state | exit_state << 32;
    info.state = StateLetter(state, exit_state);
    if (auto cpu = t->Unsigned(cpu_field_)) info.cpu = static_cast<int>(*cpu);
    if (auto on = t->Unsigned("on_cpu")) info.on_cpu = *on != 0;
    if (auto on_rq = t->Unsigned("on_rq")) info.on_rq = *on_rq != 0;
    if (auto mm = t->Unsigned("mm")) {
      info.mm = *mm;
      info.kernel_thread = *mm == 0;
    }
    if (auto prio = t->Signed("prio")) info.prio = static_cast<int>(*prio);
    if (auto arrival = t->Unsigned("sched_info.last_arrival")) {
      info.last_run = *arrival;
    } else if (auto exec = t->Unsigned("se.exec_start")) {
      info.last_run = *exec;
    }
    if (auto stack = t->Unsigned("stack")) info.stack = *stack;
    // Where switch_to left the task: the architecture says which members hold it.
    auto saved = [&](std::string_view member, uint64_t& into) {
      if (member.empty()) return;
      if (auto v = t->Unsigned(member)) into = *v;
    };
    saved(k_.arch.saved_sp_member, info.saved_sp);
    saved(k_.arch.saved_fp_member, info.saved_fp);
    saved(k_.arch.saved_pc_member, info.saved_pc);
    // The idle tasks (pid 0) are forked by the boot CPU's init; ps and crash show them parentless.
    if (auto parent = t->Unsigned("real_parent"); parent && *parent != 0 && info.pid != 0) {
      if (auto ppid = ParentPid(*parent)) info.ppid = *ppid;
    }
    if (auto nsproxy = t->Unsigned("nsproxy"); nsproxy && *nsproxy != 0) {
      if (auto off = k_.types.Offset("nsproxy", "net_ns")) {
        if (auto net = k_.memory.ReadU64(*nsproxy + *off)) info.net_ns = *net;
      }
    }
    return info;
  }

 private:
  std::optional<int> ParentPid(uint64_t parent) {
    auto off = k_.types.Offset("task_struct", "pid");
    if (!off) return std::nullopt;
    auto pid = k_.memory.ReadU32(parent + *off);
    if (!pid) return std::nullopt;
    return static_cast<int>(*pid);
  }

  const KernelContext& k_;
  std::vector<std::string>& problems_;
  std::string state_field_, cpu_field_;
};

}  // namespace

std::optional<TaskInfo> ReadTask(const KernelContext& k, uint64_t address, std::vector<std::string>& problems) {
  return TaskReader(k, problems).Read(address);
}

TaskListResult ReadTasks(const KernelContext& k, size_t max_tasks) {
  TaskListResult out;
  Result<uint64_t> init_task = k.Symbol("init_task");
  Result<uint64_t> tasks_off = k.types.Offset("task_struct", "tasks");
  if (!init_task || !tasks_off) {
    out.problems.push_back(!init_task ? init_task.error().message : tasks_off.error().message);
    return out;
  }
  TaskReader reader(k, out.problems);
  // Threads: 6.1 links them on signal->thread_head through thread_node (and on thread_group).
  const bool by_signal = k.types.Has("signal_struct", "thread_head") && k.types.Has("task_struct", "thread_node");
  Result<uint64_t> thread_off = by_signal ? k.types.Offset("task_struct", "thread_node")
                                          : k.types.Offset("task_struct", "thread_group");
  Result<uint64_t> head_off = k.types.Offset("signal_struct", "thread_head");

  auto add_process = [&](uint64_t leader) {
    std::optional<TaskInfo> info = reader.Read(leader);
    if (!info) return out.tasks.size() < max_tasks;
    out.tasks.push_back(*info);
    if (!thread_off) return out.tasks.size() < max_tasks;
    auto add_thread = [&](uint64_t thread) {
      if (thread == leader) return true;
      if (std::optional<TaskInfo> t = reader.Read(thread)) out.tasks.push_back(*t);
      return out.tasks.size() < max_tasks;
    };
    std::optional<std::string> problem;
    if (by_signal && head_off) {
      Result<KernelObject> task = k.Object("task_struct", leader);
      Result<uint64_t> signal = task ? task->Unsigned("signal") : Result<uint64_t>(Error{"unreadable"});
      if (signal && *signal != 0) problem = WalkList(k.memory, *signal + *head_off, *thread_off, max_tasks, add_thread);
    } else {
      // thread_group: a ring through every thread, the leader included; walk it from the leader.
      problem = WalkList(k.memory, leader + *thread_off, *thread_off, max_tasks, add_thread);
    }
    if (problem) out.problems.push_back("threads of pid " + std::to_string(info->pid) + ": " + *problem);
    return out.tasks.size() < max_tasks;
  };

  add_process(*init_task);  // the idle task of CPU 0 heads the list
  if (auto problem = WalkList(k.memory, *init_task + *tasks_off, *tasks_off, max_tasks, add_process))
    out.problems.push_back("task list: " + *problem);
  return out;
}

}  // namespace ktriage::kernel
