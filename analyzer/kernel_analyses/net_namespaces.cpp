// ReadNetNamespaces: net_namespace_list first, then the TCP established hash, whose sockets name
// their namespace even after it left the list; devices through dev_base_head, veth peers through
// the driver's private area.
#include "analyzer/kernel_analyses/net_namespaces.h"

#include <algorithm>
#include <map>

#include "analyzer/kernel_state/kernel_list.h"
#include "base/text.h"

namespace ktriage::kernel {
namespace {

// What list_del() leaves in ->prev: LIST_POISON2 of include/linux/poison.h (0x122, unchanged
// since 2.6.x) plus POISON_POINTER_DELTA, the CONFIG_ILLEGAL_POINTER_VALUE that x86-64 and arm64
// both default to (0xdead000000000000; Debian's configs of every family keep it). Not in any type.
constexpr uint64_t kListPoison2 = 0xdead000000000122;
// NETDEV_ALIGN of include/linux/netdevice.h (32 since 2.6.x, every architecture): netdev_priv()
// is the net_device's address plus its size rounded up to it. A macro, so in no type either.
constexpr uint64_t kNetdevAlign = 32;

class NamespaceReader {
 public:
  NamespaceReader(const KernelContext& k, const NetNamespaceOptions& options, NetNamespaces& out)
      : k_(k), options_(options), out_(out) {
    count_field_ = k.types.Has("net", "ns.count") ? "ns.count" : "count";  // moved into ns_common in 5.19
    if (k.types.Has("net", "passive.refs")) passive_field_ = "passive.refs.counter";
    else passive_field_ = "passive.counter";
  }

  // Adds the namespace at `address` once; returns its index.
  size_t Add(uint64_t address, bool on_list) {
    if (auto it = index_.find(address); it != index_.end()) return it->second;
    NetNamespaceInfo ns;
    ns.address = address;
    ns.on_list = on_list;
    Read(ns);
    index_[address] = out_.namespaces.size();
    out_.namespaces.push_back(std::move(ns));
    return out_.namespaces.size() - 1;
  }
  bool Known(uint64_t address) const { return index_.count(address) != 0; }

 private:
  void Read(NetNamespaceInfo& ns) {
    if (auto init = k_.Symbol("init_net")) ns.is_init = *init == ns.address;
    Result<KernelObject> net = k_.Object("net", ns.address);
    if (!net) {
      out_.problems.push_back("net at " + HexString(ns.address) + ": " + net.error().message);
      return;
    }
    if (auto inum = net->Unsigned("ns.inum")) ns.inum = *inum;
    // refcount_t wraps an atomic_t: the counter is two levels down.
    if (auto c = net->Signed(count_field_ + ".refs.counter")) ns.count = *c;
    if (auto p = net->Signed(passive_field_)) ns.passive = *p;
    if (auto prev = net->Unsigned("list.prev")) ns.unlinked = *prev == kListPoison2;
    if (auto r = net->Unsigned("ipv4.sysctl_tcp_retries2")) ns.tcp_retries2 = static_cast<unsigned>(*r);
    if (auto r = net->Unsigned("ipv4.sysctl_tcp_orphan_retries")) ns.tcp_orphan_retries = static_cast<unsigned>(*r);
    Result<uint64_t> head = net->AddressOf("dev_base_head");
    Result<uint64_t> node = k_.types.Offset("net_device", "dev_list");
    if (!head || !node) {
      out_.problems.push_back(!head ? head.error().message : node.error().message);
      return;
    }
    auto problem = WalkList(k_.memory, *head, *node, options_.max_devices, [&](uint64_t dev) {
      ns.devices.push_back(ReadDevice(dev));
      return true;
    });
    if (problem) out_.problems.push_back("devices of netns " + std::to_string(ns.inum) + ": " + *problem);
  }

  NetDeviceInfo ReadDevice(uint64_t address) {
    NetDeviceInfo d;
    d.address = address;
    Result<KernelObject> dev = k_.Object("net_device", address);
    if (!dev) {
      out_.problems.push_back("net_device at " + HexString(address) + ": " + dev.error().message);
      return d;
    }
    if (auto name = dev->CharArray("name")) d.name = *name;
    if (auto i = dev->Signed("ifindex")) d.ifindex = static_cast<int>(*i);
    if (auto f = dev->Unsigned("flags")) d.flags = static_cast<uint32_t>(*f);
    if (auto o = dev->Unsigned("operstate")) d.operstate = static_cast<int>(*o);
    if (auto ops = dev->Unsigned("rtnl_link_ops"); ops && *ops != 0) {
      if (auto kind_off = k_.types.Offset("rtnl_link_ops", "kind")) {
        if (auto kind = k_.memory.ReadU64(*ops + *kind_off); kind && *kind != 0) {
          if (auto text = k_.memory.ReadCString(*kind, 32)) d.kind = *text;
        }
      }
    }
    // drivers/net/veth.c: struct veth_priv starts with `struct net_device __rcu *peer` (as it has
    // since veth appeared); its type lives in veth.ko's DWARF, not vmlinux's.
    if (d.kind == "veth") {
      if (auto size = k_.types.SizeOf("net_device")) {
        const uint64_t priv = address + ((*size + kNetdevAlign - 1) & ~(kNetdevAlign - 1));
        if (auto peer = k_.memory.ReadU64(priv); peer && *peer != 0) {
          d.peer = *peer;
          if (auto p = k_.Object("net_device", *peer)) {
            if (auto name = p->CharArray("name")) d.peer_name = *name;
            if (auto net = p->Unsigned("nd_net.net")) d.peer_net = *net;
          } else {
            out_.problems.push_back("veth peer of " + d.name + " at " + HexString(*peer) + ": " + p.error().message);
          }
        }
      }
    }
    return d;
  }

  const KernelContext& k_;
  const NetNamespaceOptions& options_;
  NetNamespaces& out_;
  std::map<uint64_t, size_t> index_;
  std::string count_field_, passive_field_;
};

std::string SocketText(const TcpSocketInfo& s) {
  return s.local + ":" + std::to_string(s.local_port) + " -> " + s.remote + ":" + std::to_string(s.remote_port) +
         ", " + s.state_name + ", " + std::to_string(s.unacked_bytes) + " bytes unacknowledged";
}

// Tenths of a second, "-0.4" for an overdue timer.
std::string Seconds(int64_t jiffies, unsigned hz) {
  const int64_t tenths = jiffies * 10 / static_cast<int64_t>(hz);
  const uint64_t magnitude = static_cast<uint64_t>(tenths < 0 ? -tenths : tenths);
  return std::string(tenths < 0 ? "-" : "") + std::to_string(magnitude / 10) + "." + std::to_string(magnitude % 10);
}

}  // namespace

size_t NetNamespaceInfo::OrphanedTcpSockets() const {
  return static_cast<size_t>(std::count_if(tcp_sockets.begin(), tcp_sockets.end(),
                                           [](const TcpSocketInfo& s) { return s.orphan; }));
}

NetNamespaces ReadNetNamespaces(const KernelContext& k, const std::vector<TaskInfo>& tasks, uint64_t jiffies_now,
                                const NetNamespaceOptions& options) {
  NetNamespaces out;
  out.jiffies = jiffies_now;
  out.hz = options.hz;
  if (!out.hz) {
    if (Result<unsigned> hz = ReadHz(k)) out.hz = *hz;
    else out.problems.push_back("HZ: " + hz.error().message);
  }
  NamespaceReader reader(k, options, out);

  Result<uint64_t> list = k.Symbol("net_namespace_list");
  Result<uint64_t> node = k.types.Offset("net", "list");
  if (list && node) {
    auto problem = WalkList(k.memory, *list, *node, options.max_namespaces, [&](uint64_t net) {
      reader.Add(net, /*on_list=*/true);
      return true;
    });
    if (problem) out.problems.push_back("net_namespace_list: " + *problem);
  } else {
    out.problems.push_back(!list ? list.error().message : node.error().message);
  }

  // Kernels with per-namespace TCP hash tables (tcp_child_ehash_entries, 6.1+) keep some
  // namespaces' sockets out of tcp_hashinfo.
  std::vector<uint64_t> tables;
  if (auto off = k.types.Offset("net", "ipv4.tcp_death_row.hashinfo")) {
    for (const NetNamespaceInfo& ns : out.namespaces) {
      if (auto t = k.memory.ReadU64(ns.address + *off); t && *t != 0) tables.push_back(*t);
    }
  }
  TcpSockets tcp = ReadTcpSockets(k, jiffies_now, tables, options.tcp);
  out.tcp_hashes = tcp.hashes;
  for (std::string& p : tcp.problems) out.problems.push_back(std::move(p));

  // Whatever still points to a namespace that left the list is why its memory is still there.
  for (TcpSocketInfo& s : tcp.sockets) {
    if (s.net == 0) continue;
    const bool known = reader.Known(s.net);
    NetNamespaceInfo& ns = out.namespaces[reader.Add(s.net, false)];
    if (!known || !ns.on_list) ns.referenced_by.push_back("TCP socket at " + HexString(s.address));
    ns.tcp_sockets.push_back(std::move(s));
  }
  for (const TaskInfo& t : tasks) {
    if (t.net_ns == 0) continue;
    const bool known = reader.Known(t.net_ns);
    NetNamespaceInfo& ns = out.namespaces[reader.Add(t.net_ns, false)];
    if (!known || !ns.on_list) ns.referenced_by.push_back("task " + std::to_string(t.pid));
    ns.task_pids.push_back(t.pid);
  }
  // Peers are collected first: Add() grows the vector the devices live in.
  std::vector<std::pair<uint64_t, std::string>> peers;
  for (const NetNamespaceInfo& ns : out.namespaces) {
    for (const NetDeviceInfo& d : ns.devices) {
      if (d.peer_net != 0 && !reader.Known(d.peer_net)) peers.emplace_back(d.peer_net, d.name);
    }
  }
  for (auto& [net, name] : peers) {
    const bool known = reader.Known(net);
    NetNamespaceInfo& ns = out.namespaces[reader.Add(net, false)];
    if (!known) ns.referenced_by.push_back("the veth peer of " + name);
  }
  return out;
}

std::optional<std::string> PinnedNamespaceFinding(const NetNamespaceInfo& ns, std::optional<unsigned> hz) {
  if (ns.is_init || !ns.task_pids.empty()) return std::nullopt;
  std::vector<const TcpSocketInfo*> orphans;
  for (const TcpSocketInfo& s : ns.tcp_sockets) {
    if (s.orphan) orphans.push_back(&s);
  }
  if (orphans.empty()) return std::nullopt;
  std::string devices;
  for (const NetDeviceInfo& d : ns.devices) devices += (devices.empty() ? "" : ", ") + d.name;
  std::string text = "netns " + std::to_string(ns.inum) + " (devices: " + (devices.empty() ? "none" : devices) + ")";
  if (!ns.on_list) text += " (not on net_namespace_list: being dismantled or leaked)";
  text += " has no task left but is kept alive by " + std::to_string(orphans.size()) + " orphaned TCP socket(s) (";
  for (size_t i = 0; i < orphans.size(); ++i) text += (i ? "; " : "") + SocketText(*orphans[i]);
  text += ")";
  // The socket whose retransmit timer fires first is the one to watch.
  const TcpSocketInfo* next = nullptr;
  for (const TcpSocketInfo* s : orphans) {
    if (s->timer == 1 && (next == nullptr || s->timer_due_jiffies < next->timer_due_jiffies)) next = s;
  }
  if (next != nullptr) {
    if (hz && *hz != 0) {
      text += ", retransmit timer due in " + Seconds(next->timer_due_jiffies, *hz) + " s";
    } else {
      text += ", retransmit timer due in " + std::to_string(next->timer_due_jiffies) + " jiffies";
    }
    text += ", retry " + std::to_string(next->retransmits);
    if (next->retry_limit) text += " of " + std::to_string(*next->retry_limit);
  }
  text += ": the namespace is dismantled (its devices deleted or returned to init_net) only after ";
  text += orphans.size() == 1 ? "the socket is freed" : "the sockets are freed";
  return text;
}

}  // namespace ktriage::kernel
