// ReadRcuGracePeriod: rcu_state.node[] holds the tree breadth-first, leaves last; rcu_num_nodes and
// rcu_num_lvls say how much of the array this boot uses. A leaf's qsmask bit i stands for CPU
// grplo + i (kernel/rcu/tree.h).
#include "analyzer/kernel_analyses/rcu_grace_period.h"

namespace ktriage::kernel {

RcuGracePeriod ReadRcuGracePeriod(const KernelContext& k, std::optional<uint64_t> jiffies_now) {
  RcuGracePeriod out;
  Result<uint64_t> address = k.Symbol("rcu_state");
  Result<KernelObject> state = address ? k.Object("rcu_state", *address) : Result<KernelObject>(address.error());
  if (!state) {
    out.problems.push_back("RCU state not read: " + state.error().message);
    return out;
  }
  if (auto name = state->Unsigned("name"); name && *name != 0) {
    if (auto text = k.memory.ReadCString(*name, 32)) out.flavor = *text;
  }
  if (auto seq = state->Unsigned("gp_seq")) out.gp_seq = *seq;
  out.in_progress = (out.gp_seq & 3) != 0;
  if (auto start = state->Unsigned("gp_start"); start && jiffies_now && out.in_progress) out.age_jiffies = *jiffies_now - *start;

  if (auto timeout = k.Symbol("rcu_cpu_stall_timeout")) {
    if (auto v = k.memory.ReadU32(*timeout); v && static_cast<int32_t>(*v) > 0) out.stall_timeout_s = *v;
  }

  Result<uint64_t> node_size = k.types.SizeOf("rcu_node");
  Result<MemberLayout> nodes = k.types.Member("rcu_state", "node");
  if (!node_size || !nodes || *node_size == 0) {
    out.problems.push_back("RCU nodes not read: " + (!node_size ? node_size.error().message : nodes.error().message));
    return out;
  }
  // This boot's tree: rcu_num_nodes nodes, rcu_num_lvls levels. Without those symbols, one node
  // (any machine of up to 16 CPUs, CONFIG_RCU_FANOUT_LEAF's default).
  uint64_t count = 1, levels = 1;
  if (auto n = k.Symbol("rcu_num_nodes")) {
    if (auto v = k.memory.ReadU32(*n); v && *v >= 1 && *v <= nodes->size / *node_size) count = *v;
  }
  if (auto n = k.Symbol("rcu_num_lvls")) {
    if (auto v = k.memory.ReadU32(*n); v && *v >= 1 && *v <= 4) levels = *v;
  }
  for (uint64_t i = 0; i < count; ++i) {
    Result<KernelObject> node = k.Object("rcu_node", *address + nodes->offset + i * *node_size);
    if (!node) {
      out.problems.push_back("rcu_node " + std::to_string(i) + ": " + node.error().message);
      continue;
    }
    Result<int64_t> level = node->Signed("level");
    if (!level || static_cast<uint64_t>(*level) != levels - 1) continue;  // not a leaf
    Result<uint64_t> qsmask = node->Unsigned("qsmask");
    Result<int64_t> grplo = node->Signed("grplo");
    if (!qsmask || !grplo) continue;
    for (int bit = 0; bit < 64 && out.in_progress; ++bit) {
      if (*qsmask & (uint64_t{1} << bit)) out.holding_cpus.push_back(static_cast<int>(*grplo) + bit);
    }
    if (auto tasks = node->Unsigned("gp_tasks"); tasks && *tasks != 0 && out.in_progress) out.tasks_blocking = true;
  }
  return out;
}

}  // namespace ktriage::kernel
