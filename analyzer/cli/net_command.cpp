// `ktriage net`: the network namespaces of a dump with their devices, tasks and TCP sockets, and
// the ones that only orphaned TCP sockets keep alive (read with the dump's own vmlinux).
#include "analyzer/cli/net_command.h"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/deep_support.h"
#include "analyzer/cli/symbol_options.h"
#include "base/text.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;
using nlohmann::ordered_json;

struct RawNetOptions {
  std::string format;
  bool help = false;
  std::vector<std::string> paths;
  SymbolOptions symbols;
};

po::options_description VisibleOptions(RawNetOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
       "text for people; json: one document (\"ktriage.net/1\", docs/cli.md)")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  po::options_description symbols("Debuginfo (the dump's own vmlinux, found by its BUILD-ID or release)", 100, 50);
  AddSymbolOptions(symbols, raw.symbols, /*always=*/true);
  visible.add(symbols);
  return visible;
}

std::string Endpoint(const std::string& address, uint16_t port) {
  return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::string SocketLine(const kernel::TcpSocketInfo& s, std::optional<unsigned> hz) {
  std::string line = Endpoint(s.local, s.local_port) + " -> " + Endpoint(s.remote, s.remote_port) + " " + s.state_name;
  if (!s.full) return line;
  if (s.orphan) line += " orphaned";
  else if (s.dead) line += " closed";
  line += ", " + std::to_string(s.unacked_bytes) + " bytes unacknowledged";
  if (s.timer != 0) {
    line += ", " + (s.timer_name.empty() ? "timer " + std::to_string(s.timer) : s.timer_name + " timer") + " due in ";
    line += hz ? std::to_string(static_cast<double>(s.timer_due_jiffies) / *hz).substr(0, 5) + " s"
               : std::to_string(s.timer_due_jiffies) + " jiffies";
  }
  if (s.retransmits > 0 || s.retry_limit) {
    line += ", retry " + std::to_string(s.retransmits);
    if (s.retry_limit) line += " of " + std::to_string(*s.retry_limit);
  }
  return line;
}

}  // namespace

std::string NetHelp() {
  RawNetOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage net [OPTIONS] VMCORE...\n"
       "\n"
       "The network namespaces of a crash dump (net_namespace_list, and any namespace a socket or a\n"
       "veth peer still points to): inode number, reference count, devices, the tasks inside, and\n"
       "the TCP sockets of the established hash with their state, unacknowledged bytes and timers.\n"
       "A namespace that no task holds but orphaned TCP sockets keep alive is named on its own line.\n"
       "Needs the dump's own vmlinux with DWARF, found like all debuginfo.\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Examples:\n"
       "  ktriage net /var/crash/202611221000/dump.202611221000\n"
       "  ktriage net --format json --vmlinux vmlinux-6.1.0-50-cloud-amd64 vmcore\n";
  return s.str();
}

int NetCommand(const std::vector<std::string>& args, const CliContext& context) {
  RawNetOptions raw;
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.paths); !e.empty()) {
    context.err << "ktriage net: " << e << "\nTry 'ktriage net --help'.\n";
    return kExitUsage;
  }
  if (raw.help) {
    context.out << NetHelp();
    return kExitOk;
  }
  if (raw.paths.empty() || (raw.format != "text" && raw.format != "json")) {
    context.err << "ktriage net: " << (raw.paths.empty() ? "no VMCORE given" : "--format is text or json")
                << "\nTry 'ktriage net --help'.\n";
    return kExitUsage;
  }
  Result<OpenedDump> opened = OpenDumpWithVmlinux(raw.paths, raw.symbols, context);
  if (!opened) {
    context.err << "ktriage: " << opened.error().message << '\n';
    return kExitInputError;
  }
  kernel::DeepOptions options;
  options.stacks = false;
  const kernel::DeepAnalysis deep = kernel::RunDeepAnalysis(*opened->state, *opened->dump, options);
  if (!deep.net) {
    for (const std::string& p : deep.problems) context.err << "ktriage: " << raw.paths[0] << ": " << p << '\n';
    return kExitInputError;
  }
  const kernel::NetNamespaces& net = *deep.net;

  if (raw.format == "json") {
    ordered_json doc;
    doc["schema"] = "ktriage.net/1";
    doc["dump"] = raw.paths[0];
    doc["vmlinux"] = opened->vmlinux;
    doc["jiffies"] = net.jiffies;
    doc["hz"] = net.hz ? ordered_json(*net.hz) : ordered_json(nullptr);
    doc["namespaces"] = ordered_json::array();
    for (const kernel::NetNamespaceInfo& ns : net.namespaces) {
      ordered_json j;
      j["inum"] = ns.inum;
      j["address"] = HexString(ns.address);
      j["init"] = ns.is_init;
      j["on_list"] = ns.on_list;
      j["count"] = ns.count ? ordered_json(*ns.count) : ordered_json(nullptr);
      j["devices"] = ordered_json::array();
      for (const kernel::NetDeviceInfo& d : ns.devices) {
        j["devices"].push_back({{"name", d.name}, {"ifindex", d.ifindex}, {"up", d.up()}, {"kind", d.kind},
                                {"peer", d.peer_name.empty() ? ordered_json(nullptr) : ordered_json(d.peer_name)}});
      }
      j["task_pids"] = ns.task_pids;
      j["tcp_sockets"] = ordered_json::array();
      for (const kernel::TcpSocketInfo& s : ns.tcp_sockets) {
        ordered_json t{{"local", s.local}, {"local_port", s.local_port}, {"remote", s.remote},
                       {"remote_port", s.remote_port}, {"state", s.state_name}, {"orphan", s.orphan}};
        if (s.full) {
          t["unacked_bytes"] = s.unacked_bytes;
          t["retransmits"] = s.retransmits;
          t["retry_limit"] = s.retry_limit ? ordered_json(*s.retry_limit) : ordered_json(nullptr);
          t["timer"] = s.timer_name;
          t["timer_due_jiffies"] = s.timer_due_jiffies;
        }
        j["tcp_sockets"].push_back(t);
      }
      doc["namespaces"].push_back(j);
    }
    doc["pinned_namespaces"] = deep.pinned_namespaces;
    doc["problems"] = deep.problems;
    context.out << doc.dump(2) << '\n';
    return kExitOk;
  }

  std::ostringstream out;
  for (const kernel::NetNamespaceInfo& ns : net.namespaces) {
    out << "netns " << ns.inum << (ns.is_init ? " (init_net)" : "") << " at " << HexString(ns.address);
    if (ns.count) out << ", count " << *ns.count;
    if (!ns.on_list) out << ", not on net_namespace_list";
    out << ", " << ns.task_pids.size() << (ns.task_pids.size() == 1 ? " task" : " tasks") << '\n';
    for (const kernel::NetDeviceInfo& d : ns.devices) {
      out << "  dev " << d.name << " ifindex " << d.ifindex << (d.up() ? " up" : " down");
      if (!d.kind.empty()) out << " " << d.kind;
      if (!d.peer_name.empty()) out << " peer " << d.peer_name;
      out << '\n';
    }
    for (const kernel::TcpSocketInfo& s : ns.tcp_sockets) out << "  tcp " << SocketLine(s, net.hz) << '\n';
  }
  for (const std::string& line : deep.pinned_namespaces) out << "\n" << line << '\n';
  context.out << out.str();
  for (const std::string& p : deep.problems) context.err << "ktriage: warning: " << p << '\n';
  return kExitOk;
}

}  // namespace ktriage::cli
