// NetNamespaces: the network namespaces of a dump (net_namespace_list, plus any namespace a TCP
// socket, a task or a veth peer still points to after it left that list), each with its devices,
// the tasks inside it and its TCP sockets: what shows a namespace kept alive without a process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/task_list.h"
#include "analyzer/kernel_analyses/tcp_sockets.h"

namespace ktriage::kernel {

struct NetDeviceInfo {
  uint64_t address = 0;    // struct net_device *
  std::string name;        // "veth-ns"
  int ifindex = 0;
  uint32_t flags = 0;      // IFF_* (include/uapi/linux/if.h): IFF_UP is bit 0
  int operstate = 0;       // RFC 2863 (IF_OPER_*): 2 down, 6 up
  std::string kind;        // rtnl_link_ops->kind ("veth", "bridge"); "" for devices without one (lo)
  // veth only: the other end (veth_priv.peer), its name and namespace. 0 when it has none.
  uint64_t peer = 0;
  std::string peer_name;
  uint64_t peer_net = 0;

  bool up() const { return (flags & 1) != 0; }
};

struct NetNamespaceInfo {
  uint64_t address = 0;      // struct net *
  uint64_t inum = 0;         // net->ns.inum: the number ip netns / lsns / /proc/PID/ns/net show
  bool is_init = false;      // init_net
  // Whether the walk of net_namespace_list met it. A namespace off the list is being dismantled
  // (cleanup_net() unlinks it first) or already freed: its memory may be stale.
  bool on_list = false;
  bool unlinked = false;     // net->list.prev is LIST_POISON2: list_del() ran on it
  std::optional<int64_t> count;    // net->ns.count: users (tasks' nsproxy, sockets with sk_net_refcnt...)
  std::optional<int64_t> passive;  // net->passive: references that keep only the memory
  std::optional<unsigned> tcp_retries2;        // net->ipv4.sysctl_tcp_retries2
  std::optional<unsigned> tcp_orphan_retries;  // net->ipv4.sysctl_tcp_orphan_retries (0 means 8)
  std::vector<NetDeviceInfo> devices;          // dev_base_head order (lo first)
  std::vector<int> task_pids;                  // tasks whose nsproxy->net_ns is this namespace
  std::vector<TcpSocketInfo> tcp_sockets;      // established-hash sockets whose skc_net is this one
  std::vector<std::string> referenced_by;      // why an off-list namespace was found ("TCP socket at ...")

  size_t OrphanedTcpSockets() const;
};

struct NetNamespaces {
  std::vector<NetNamespaceInfo> namespaces;  // list order, then off-list namespaces as found
  std::vector<TcpHashSource> tcp_hashes;     // the established hash tables walked
  uint64_t jiffies = 0;                      // the `jiffies_now` timers were measured against
  std::optional<unsigned> hz;                // for turning jiffies into seconds (ReadHz or options)
  std::vector<std::string> problems;         // broken lists and chains, unreadable objects
};

struct NetNamespaceOptions {
  size_t max_namespaces = 65536;  // net_namespace_list entries before the list is taken as broken
  size_t max_devices = 65536;     // per namespace
  std::optional<unsigned> hz;     // unset: ReadHz() from the dump
  TcpSocketOptions tcp;
};

// `tasks`: ReadTasks(); `jiffies_now`: ReadJiffies() (the caller may hold it already).
NetNamespaces ReadNetNamespaces(const KernelContext& kernel, const std::vector<TaskInfo>& tasks, uint64_t jiffies_now,
                                const NetNamespaceOptions& options = {});

// A one-line finding for a namespace with no task left that orphaned TCP sockets keep alive;
// nullopt for any other namespace. `hz` turns the retransmit timer into seconds (jiffies otherwise).
std::optional<std::string> PinnedNamespaceFinding(const NetNamespaceInfo& ns, std::optional<unsigned> hz);

}  // namespace ktriage::kernel
