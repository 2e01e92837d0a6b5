// ReadTcpSockets: walks each established-hash bucket (an hlist_nulls chain through
// sock_common.skc_nulls_node) and reads each socket once, as a tcp_sock when it is a full socket.
#include "analyzer/kernel_analyses/tcp_sockets.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analyzer/kernel_state/kernel_hlist_nulls.h"
#include "base/text.h"

namespace ktriage::kernel {
namespace {

constexpr int kAfInet = 2;
constexpr int kAfInet6 = 10;
constexpr int kTcpFinWait1 = 4;
constexpr int kTcpTimeWait = 6;
constexpr int kTcpLastAck = 9;
constexpr int kTcpClosing = 11;
constexpr int kTcpNewSynRecv = 12;

// Reads buckets in slices, so that one unreadable page loses its buckets, not the whole table.
constexpr uint64_t kBucketsPerRead = 4096;

std::string Ipv4(uint32_t network_order) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &network_order, text, sizeof text);  // the bytes are in memory order already
  return text;
}

std::string Ipv6(const unsigned char (&bytes)[16]) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, bytes, text, sizeof text);
  return text;
}

std::string TimerName(int pending) {
  switch (pending) {  // include/net/inet_connection_sock.h: ICSK_TIME_*
    case 0: return "";
    case 1: return "retransmit";
    case 2: return "delayed-ack";
    case 3: return "probe0";
    case 4: return "early-retransmit";
    case 5: return "loss-probe";
    case 6: return "reorder";
    default: return "timer" + std::to_string(pending);
  }
}

class SocketReader {
 public:
  SocketReader(const KernelContext& k, uint64_t jiffies_now, TcpSockets& out) : k_(k), jiffies_(jiffies_now), out_(out) {}

  void Read(uint64_t address) {
    Result<KernelObject> common = k_.Object("sock_common", address);
    if (!common) {
      out_.problems.push_back("socket at " + HexString(address) + ": " + common.error().message);
      return;
    }
    TcpSocketInfo s;
    s.address = address;
    s.net = Or(common->Unsigned("skc_net.net"));
    s.family = static_cast<int>(Or(common->Unsigned("skc_family")));
    s.state = static_cast<int>(Or(common->Unsigned("skc_state")));
    s.state_name = TcpStateName(s.state);
    s.local_port = static_cast<uint16_t>(Or(common->Unsigned("skc_num")));
    s.remote_port = ntohs(static_cast<uint16_t>(Or(common->Unsigned("skc_dport"))));
    if (s.family == kAfInet6) {
      s.local = V6(*common, "skc_v6_rcv_saddr");
      s.remote = V6(*common, "skc_v6_daddr");
    } else {
      if (s.family != kAfInet) out_.problems.push_back("socket at " + HexString(address) + ": family " + std::to_string(s.family));
      s.local = Ipv4(static_cast<uint32_t>(Or(common->Unsigned("skc_rcv_saddr"))));
      s.remote = Ipv4(static_cast<uint32_t>(Or(common->Unsigned("skc_daddr"))));
    }
    // skc_net_refcnt is a one-bit bitfield (4.2 and later): its bit comes from the types.
    if (auto refcnt = k_.types.Member("sock_common", "skc_net_refcnt"); refcnt && refcnt->bit_size == 1) {
      if (auto byte = k_.memory.ReadU8(address + refcnt->offset)) s.holds_net_reference = (*byte >> refcnt->bit_offset) & 1;
    }
    // Minisocks (TIME_WAIT, NEW_SYN_RECV) are smaller structs: reading them as a tcp_sock would
    // read past their end and report another object's bytes.
    if (s.state != kTcpTimeWait && s.state != kTcpNewSynRecv) ReadFull(s);
    out_.sockets.push_back(std::move(s));
  }

 private:
  static uint64_t Or(const Result<uint64_t>& r) { return r ? *r : 0; }

  std::string V6(const KernelObject& common, std::string_view field) {
    unsigned char bytes[16] = {};
    Result<uint64_t> at = common.AddressOf(field);
    if (!at || !k_.memory.ReadVirtual(*at, bytes, sizeof bytes)) return "?";
    return Ipv6(bytes);
  }

  void ReadFull(TcpSocketInfo& s) {
    Result<KernelObject> tp = k_.Object("tcp_sock", s.address);
    if (!tp) {
      out_.problems.push_back("tcp_sock at " + HexString(s.address) + ": " + tp.error().message);
      return;
    }
    s.full = true;
    const std::string sk = "inet_conn.icsk_inet.sk.";
    const std::string icsk = "inet_conn.";
    // SOCK_DEAD is bit 0 of enum sock_flags (include/net/sock.h) since the enum exists.
    s.dead = (Or(tp->Unsigned(sk + "__sk_common.skc_flags")) & 1) != 0;
    s.orphan = s.dead && Or(tp->Unsigned(sk + "sk_socket")) == 0;
    s.write_seq = static_cast<uint32_t>(Or(tp->Unsigned("write_seq")));
    s.snd_una = static_cast<uint32_t>(Or(tp->Unsigned("snd_una")));
    uint32_t outstanding = s.write_seq - s.snd_una;  // sequence arithmetic wraps like the kernel's
    // tcp_send_fin() advanced write_seq by one for the FIN: not a byte of data.
    const bool fin_queued = s.state == kTcpFinWait1 || s.state == kTcpClosing || s.state == kTcpLastAck;
    if (fin_queued && outstanding > 0) --outstanding;
    s.unacked_bytes = outstanding;
    s.retransmits = static_cast<unsigned>(Or(tp->Unsigned(icsk + "icsk_retransmits")));
    s.total_retrans = static_cast<uint32_t>(Or(tp->Unsigned("total_retrans")));
    s.timer = static_cast<int>(Or(tp->Unsigned(icsk + "icsk_pending")));
    s.timer_name = TimerName(s.timer);
    // icsk_timeout keeps its last value after the timer is cleared: meaningless then.
    if (s.timer != 0) s.timer_due_jiffies = static_cast<int64_t>(Or(tp->Unsigned(icsk + "icsk_timeout")) - jiffies_);
    s.rto_jiffies = Or(tp->Unsigned(icsk + "icsk_rto"));
    s.retry_limit = RetryLimit(s.net, s.dead);
  }

  // tcp_write_timeout(): a dead socket gives up after tcp_orphan_retries(), whose 0 means 8
  // while the RTO is below TCP_RTO_MAX; a live one after tcp_retries2.
  std::optional<unsigned> RetryLimit(uint64_t net, bool dead) {
    const char* field = dead ? "ipv4.sysctl_tcp_orphan_retries" : "ipv4.sysctl_tcp_retries2";
    auto key = std::make_pair(net, dead);
    if (auto it = limits_.find(key); it != limits_.end()) return it->second;
    std::optional<unsigned> limit;
    if (auto m = k_.types.Member("net", field); m && net != 0 && m->size == 1) {
      if (auto v = k_.memory.ReadU8(net + m->offset)) limit = (dead && *v == 0) ? 8u : unsigned{*v};
    }
    limits_[key] = limit;
    return limit;
  }

  const KernelContext& k_;
  uint64_t jiffies_;
  TcpSockets& out_;
  std::map<std::pair<uint64_t, bool>, std::optional<unsigned>> limits_;
};

}  // namespace

std::string TcpStateName(int state) {
  static const char* const kNames[] = {"",          "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
                                       "FIN_WAIT2", "TIME_WAIT",   "CLOSE",    "CLOSE_WAIT", "LAST_ACK",
                                       "LISTEN",    "CLOSING",     "NEW_SYN_RECV"};
  if (state >= 1 && state <= 12) return kNames[state];
  return "STATE" + std::to_string(state);
}

TcpSockets ReadTcpSockets(const KernelContext& k, uint64_t jiffies_now, const std::vector<uint64_t>& extra_hashinfo,
                          const TcpSocketOptions& options) {
  TcpSockets out;
  std::vector<uint64_t> tables;
  if (Result<uint64_t> global = k.Symbol("tcp_hashinfo")) tables.push_back(*global);
  else out.problems.push_back(global.error().message);
  for (uint64_t t : extra_hashinfo) {
    if (t != 0 && std::find(tables.begin(), tables.end(), t) == tables.end()) tables.push_back(t);
  }
  Result<uint64_t> bucket_size = k.types.SizeOf("inet_ehash_bucket");
  Result<uint64_t> chain_off = k.types.Offset("inet_ehash_bucket", "chain");
  Result<uint64_t> node_off = k.types.Offset("sock_common", "skc_nulls_node");
  for (const Result<uint64_t>* r : {&bucket_size, &chain_off, &node_off}) {
    if (!*r) {
      out.problems.push_back(r->error().message);
      return out;
    }
  }
  SocketReader reader(k, jiffies_now, out);
  std::set<uint64_t> seen_sockets;  // a socket reached from two buckets is a corrupt table
  for (uint64_t table : tables) {
    Result<KernelObject> info = k.Object("inet_hashinfo", table);
    if (!info) {
      out.problems.push_back("inet_hashinfo at " + HexString(table) + ": " + info.error().message);
      continue;
    }
    Result<uint64_t> ehash = info->Unsigned("ehash");
    Result<uint64_t> mask = info->Unsigned("ehash_mask");
    if (!ehash || !mask) {
      out.problems.push_back(!ehash ? ehash.error().message : mask.error().message);
      continue;
    }
    const uint64_t buckets = *mask + 1;
    if (*ehash == 0 || buckets > options.max_buckets || (buckets & *mask) != 0) {
      out.problems.push_back("inet_hashinfo at " + HexString(table) + ": implausible ehash " + HexString(*ehash) +
                             " with mask " + HexString(*mask));
      continue;
    }
    out.hashes.push_back({table, buckets});
    std::vector<uint64_t> heads;
    for (uint64_t first = 0; first < buckets; first += kBucketsPerRead) {
      const uint64_t count = std::min(kBucketsPerRead, buckets - first);
      std::vector<unsigned char> bytes(count * *bucket_size);
      const uint64_t at = *ehash + first * *bucket_size;
      if (Status read = k.memory.ReadVirtual(at, bytes.data(), bytes.size()); !read) {
        out.problems.push_back("ehash buckets " + std::to_string(first) + ".." + std::to_string(first + count - 1) +
                               " at " + HexString(at) + ": " + read.error().message);
        continue;
      }
      for (uint64_t b = 0; b < count; ++b) {
        uint64_t head = 0;
        for (int i = 7; i >= 0; --i) head = head << 8 | bytes[b * *bucket_size + *chain_off + i];
        // An empty bucket holds its own nulls marker: only the others need a walk.
        if (!IsNullsMarker(head)) heads.push_back(at + b * *bucket_size + *chain_off);
      }
    }
    for (uint64_t head : heads) {
      auto problem = WalkHlistNulls(k.memory, head, *node_off, options.max_chain, [&](uint64_t sk) {
        if (!seen_sockets.insert(sk).second) {
          out.problems.push_back("socket at " + HexString(sk) + " reached twice in the established hash");
          return false;
        }
        reader.Read(sk);
        return out.sockets.size() < options.max_sockets;
      });
      if (problem) out.problems.push_back("established hash: " + *problem);
      if (out.sockets.size() >= options.max_sockets) {
        out.problems.push_back("more than " + std::to_string(options.max_sockets) + " TCP sockets; the rest not read");
        return out;
      }
    }
  }
  return out;
}

Result<uint64_t> ReadJiffies(const KernelContext& k) {
  Result<uint64_t> at = k.Symbol("jiffies_64");
  if (!at) at = k.Symbol("jiffies");
  if (!at) return at.error();
  return k.memory.ReadU64(*at);
}

Result<unsigned> ReadHz(const KernelContext& k) {
  Result<uint64_t> at = k.Symbol("tick_nsec");
  if (!at) return at.error();
  Result<uint64_t> tick = k.memory.ReadU64(*at);
  if (!tick) return Error{"tick_nsec: " + tick.error().message};
  if (*tick == 0) return Error{"tick_nsec is 0"};
  const double hz = 1e9 / static_cast<double>(*tick);
  for (unsigned candidate : {100u, 250u, 300u, 1000u}) {
    // NTP adjusts tick_nsec by at most 500 ppm; 1% separates the candidates safely.
    if (std::fabs(hz - candidate) < candidate * 0.01) return candidate;
  }
  return Error{"tick_nsec " + std::to_string(*tick) + " matches no HZ (100, 250, 300, 1000)"};
}

}  // namespace ktriage::kernel
