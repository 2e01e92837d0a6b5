// ReadRunQueues: runqueues per CPU for curr, idle, nr_running and clock; the queued tasks from the
// tasks' own on_rq and CPU (no walk of the scheduler's trees, whose shape differs by class and
// kernel); the interrupt state from the architecture's flags register and preempt count.
#include "analyzer/kernel_analyses/run_queues.h"

namespace ktriage::kernel {
namespace {

std::optional<uint32_t> PreemptCount(const KernelContext& k, int cpu, uint64_t curr) {
  if (!k.arch.preempt_count_task_member.empty()) {
    Result<uint64_t> off = k.types.Offset("task_struct", k.arch.preempt_count_task_member);
    if (!off || curr == 0) return std::nullopt;
    Result<uint32_t> count = k.memory.ReadU32(curr + *off);
    if (!count) return std::nullopt;
    return *count;
  }
  for (const KernelArch::PerCpuField& field : k.arch.preempt_count_percpu) {
    Result<uint64_t> at = k.PerCpu(field.symbol, cpu);
    if (!at) continue;
    uint64_t offset = 0;
    if (!field.type.empty()) {
      Result<uint64_t> off = k.types.Offset(field.type, field.member);
      if (!off) continue;
      offset = *off;
    }
    Result<uint32_t> count = k.memory.ReadU32(*at + offset);
    if (!count) return std::nullopt;
    return *count & 0x7fffffffu;  // bit 31: PREEMPT_NEED_RESCHED, kept inverted
  }
  return std::nullopt;
}

}  // namespace

std::string ContextOfPreemptCount(uint32_t count) {
  if (count & 0x00f00000u) return "nmi";
  if (count & 0x000f0000u) return "hardirq";
  if (count & 0x00000100u) return "softirq";
  return "task";
}

RunQueues ReadRunQueues(const KernelContext& k, const std::vector<CpuState>& cpus, const std::vector<TaskInfo>& tasks) {
  RunQueues out;
  for (const CpuState& state : cpus) {
    CpuRunQueue q;
    q.cpu = state.cpu;
    if (!k.arch.flags_register.empty()) {
      if (auto flags = state.registers.find(std::string(k.arch.flags_register)); flags != state.registers.end()) {
        const bool set = (flags->second & k.arch.irq_bit) != 0;
        q.irqs_disabled = set == k.arch.irq_bit_means_disabled;
      }
    }
    Result<uint64_t> rq_address = k.PerCpu("runqueues", state.cpu);
    Result<KernelObject> rq = rq_address ? k.Object("rq", *rq_address) : Result<KernelObject>(rq_address.error());
    if (!rq) {
      out.problems.push_back("run queue of CPU " + std::to_string(state.cpu) + ": " + rq.error().message);
      out.cpus.push_back(std::move(q));
      continue;
    }
    q.rq = *rq_address;
    if (auto v = rq->Unsigned("curr")) q.curr = *v;
    if (auto v = rq->Unsigned("idle")) q.idle_task = *v;
    if (auto v = rq->Unsigned("nr_running")) q.nr_running = *v;
    if (auto v = rq->Unsigned("clock")) q.clock = *v;
    q.idle = q.curr != 0 && q.curr == q.idle_task;
    for (const TaskInfo& t : tasks) {
      if (t.on_rq && t.cpu == state.cpu && t.address != q.curr && t.address != q.idle_task && t.state != 'Z' && t.state != 'X')
        q.queued.push_back(t.address);
    }
    q.preempt_count = PreemptCount(k, state.cpu, q.curr);
    if (q.preempt_count) q.context = ContextOfPreemptCount(*q.preempt_count);
    out.cpus.push_back(std::move(q));
  }
  return out;
}

}  // namespace ktriage::kernel
