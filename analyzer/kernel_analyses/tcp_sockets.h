// TcpSockets: every TCP socket in the established hash (tcp_hashinfo.ehash, and per-namespace hash
// tables where a kernel has them) with what explains a namespace kept alive by TCP: addresses,
// state, whether it is orphaned, unacknowledged bytes, retransmissions and the pending timer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"

namespace ktriage::kernel {

struct TcpSocketInfo {
  uint64_t address = 0;     // struct sock * (a tcp_sock, or a timewait/request sock: see `full`)
  uint64_t net = 0;         // sk->__sk_common.skc_net.net: the namespace it belongs to (and pins)
  int family = 0;           // AF_INET (2) or AF_INET6 (10)
  int state = 0;            // skc_state: include/net/tcp_states.h
  std::string state_name;   // "ESTABLISHED", "FIN_WAIT1", ...
  std::string local;        // "10.0.7.2" or "fe80::1" (skc_rcv_saddr / skc_v6_rcv_saddr)
  std::string remote;       // skc_daddr / skc_v6_daddr
  uint16_t local_port = 0;  // skc_num (host order)
  uint16_t remote_port = 0; // skc_dport (network order in the kernel; converted)

  // The rest is read only from full sockets (not TIME_WAIT or NEW_SYN_RECV minisocks).
  bool full = false;
  bool dead = false;        // SOCK_DEAD in sk_flags: closed by its owner
  bool orphan = false;      // dead and no struct socket: no file refers to it any more
  bool holds_net_reference = false;  // sk_net_refcnt: a user socket, which keeps its namespace alive
  uint32_t write_seq = 0;   // tcp_sock.write_seq: end of what the application queued (+1 for a FIN)
  uint32_t snd_una = 0;     // first byte not yet acknowledged
  uint32_t unacked_bytes = 0;  // data bytes queued or in flight and not acknowledged (FIN excluded)
  unsigned retransmits = 0;    // icsk_retransmits: consecutive retransmissions of the timed-out segment
  uint32_t total_retrans = 0;  // tcp_sock.total_retrans: over the socket's life
  int timer = 0;               // icsk_pending: 0 none, 1 retransmit, 2 delayed ack, 3 zero-window probe...
  std::string timer_name;      // "retransmit", "delayed-ack", "probe0", "loss-probe", "reorder", ""
  int64_t timer_due_jiffies = 0;  // icsk_timeout - jiffies_now (negative: overdue); 0 when timer == 0
  uint64_t rto_jiffies = 0;       // icsk_rto
  // The retry limit the retransmit timer applies (tcp_write_timeout()): the namespace's
  // tcp_orphan_retries for a dead socket (0 means 8), tcp_retries2 otherwise. nullopt: unread.
  std::optional<unsigned> retry_limit;
};

struct TcpHashSource {
  uint64_t hashinfo = 0;   // struct inet_hashinfo *
  uint64_t buckets = 0;    // ehash_mask + 1
};

struct TcpSockets {
  std::vector<TcpSocketInfo> sockets;  // in hash order: bucket by bucket, chain order
  std::vector<TcpHashSource> hashes;   // which tables were walked
  std::vector<std::string> problems;   // unreadable buckets, broken chains, unreadable sockets
};

struct TcpSocketOptions {
  size_t max_buckets = size_t{1} << 26;  // ehash_mask above this is taken as corrupt
  size_t max_chain = 4096;               // entries per bucket before a chain is taken as broken
  size_t max_sockets = size_t{1} << 20;  // total, so that a corrupt table cannot exhaust memory
};

// `jiffies_now`: the dump's jiffies (ReadJiffies), against which timers are measured.
// `extra_hashinfo`: per-namespace tables (netns_ipv4.tcp_death_row.hashinfo) beside tcp_hashinfo;
// duplicates are walked once.
TcpSockets ReadTcpSockets(const KernelContext& kernel, uint64_t jiffies_now,
                          const std::vector<uint64_t>& extra_hashinfo = {}, const TcpSocketOptions& options = {});

// include/net/tcp_states.h's names ("ESTABLISHED", ... "NEW_SYN_RECV"); "STATE<n>" otherwise.
std::string TcpStateName(int state);

// The dump's jiffies (the `jiffies` symbol, an alias of jiffies_64 on 64-bit kernels).
Result<uint64_t> ReadJiffies(const KernelContext& kernel);
// The kernel's HZ, from tick_nsec (NSEC_PER_SEC / HZ, as NTP last adjusted it) rounded to the
// nearest HZ a kernel can be configured with (100, 250, 300, 1000): DWARF does not carry CONFIG_HZ.
Result<unsigned> ReadHz(const KernelContext& kernel);

}  // namespace ktriage::kernel
