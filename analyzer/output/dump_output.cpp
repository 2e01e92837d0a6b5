// WriteBacktraces, WriteNetwork, WriteDmesg, WriteVmcoreInfo.
#include "analyzer/output/dump_output.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "analyzer/output/analysis_output.h"
#include "base/text.h"

namespace ktriage {
namespace {

using nlohmann::ordered_json;

std::string FrameName(const Frame& f) {
  if (f.function.empty()) return f.module.empty() ? HexString(f.address.value_or(0)) : "[" + f.module + "]+" + HexString(f.offset.value_or(0));
  std::string s = f.function + "+" + HexString(f.offset.value_or(0));
  if (f.size) s += "/" + HexString(*f.size);
  if (!f.module.empty()) s += " [" + f.module + "]";
  return s;
}

void PrintText(std::ostream& out, const std::string& heading, const kernel::DeepStack& stack) {
  out << heading << '\n';
  for (size_t i = 0; i < stack.frames.size(); ++i) {
    const Frame& f = stack.frames[i];
    std::string line = "  #" + std::to_string(i) + (i < 10 ? "  " : " ") + FrameName(f);
    if (!f.source.empty()) line += "  " + f.source;
    if (stack.raw[i].method == "pt_regs") line += "  (interrupted)";
    out << line << '\n';
    for (const InlinedCall& call : f.inlined) out << "        inlined " << call.function << "  " << call.source << '\n';
  }
  out << "  " << (stack.complete ? "end: " : "stopped: ") << stack.end << "\n\n";
}

// Adds "frames", "complete" and "end" to `j`.
void AddStackJson(ordered_json& j, const kernel::DeepStack& stack) {
  ordered_json list = ordered_json::array();
  for (size_t i = 0; i < stack.frames.size(); ++i) {
    const Frame& frame = stack.frames[i];
    const kernel::StackFrame& raw = stack.raw[i];
    ordered_json f;
    f["pc"] = HexString(raw.pc);
    f["sp"] = HexString(raw.sp);
    f["function"] = frame.function.empty() ? ordered_json(nullptr) : ordered_json(SanitizeUtf8(frame.function));
    f["offset"] = frame.offset ? ordered_json(HexString(*frame.offset)) : ordered_json(nullptr);
    f["size"] = frame.size ? ordered_json(HexString(*frame.size)) : ordered_json(nullptr);
    f["module"] = frame.module.empty() ? ordered_json(nullptr) : ordered_json(frame.module);
    f["source"] = frame.source.empty() ? ordered_json(nullptr) : ordered_json(frame.source);
    ordered_json inlined = ordered_json::array();
    for (const InlinedCall& c : frame.inlined) inlined.push_back({{"function", c.function}, {"source", c.source}});
    f["inlined"] = inlined;
    f["exact_pc"] = raw.exact_pc;
    f["method"] = raw.method;
    list.push_back(f);
  }
  j["frames"] = list;
  j["complete"] = stack.complete;
  j["end"] = stack.end;
}

ordered_json TaskJson(const kernel::TaskInfo& t) {
  return ordered_json{{"pid", t.pid}, {"tgid", t.tgid}, {"ppid", t.ppid}, {"comm", SanitizeUtf8(t.comm)},
                      {"state", std::string(1, t.state)}, {"cpu", t.cpu}, {"address", HexString(t.address)}};
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

// Where the layouts and addresses came from, and what was not used.
void AddSourcesJson(ordered_json& doc, const kernel::DeepAnalysis& analysis) {
  doc["type_source"] = analysis.type_source;
  doc["symbol_source"] = analysis.symbol_source;
  doc["notes"] = analysis.notes;
}

}  // namespace

void WriteBacktraces(std::ostream& out, const pipeline::DumpAnalysisResult& result, bool json) {
  const kernel::DeepAnalysis& analysis = result.analysis;
  ordered_json doc;
  doc["schema"] = "ktriage.backtraces/1";
  doc["dump"] = result.dump;
  doc["vmlinux"] = result.vmlinux;
  AddSourcesJson(doc, analysis);
  doc["cpus"] = ordered_json::array();
  doc["tasks"] = ordered_json::array();
  std::ostringstream text;
  for (const kernel::DeepStack& s : analysis.cpus) {
    std::string heading = "CPU " + std::to_string(s.cpu);
    if (s.task) heading += ": PID " + std::to_string(s.task->pid) + " \"" + s.task->comm + "\" (task " + HexString(s.task->address) + ")";
    PrintText(text, heading, s);
    ordered_json j;
    j["cpu"] = s.cpu;
    j["task"] = s.task ? TaskJson(*s.task) : ordered_json(nullptr);
    AddStackJson(j, s);
    doc["cpus"].push_back(j);
  }
  for (const kernel::DeepStack& s : analysis.tasks) {
    const kernel::TaskInfo& t = *s.task;
    PrintText(text, "PID " + std::to_string(t.pid) + " \"" + t.comm + "\" state " + std::string(1, t.state) + " CPU " +
                        std::to_string(t.cpu) + " (task " + HexString(t.address) + ")", s);
    ordered_json j = TaskJson(t);
    AddStackJson(j, s);
    doc["tasks"].push_back(j);
  }
  doc["problems"] = analysis.problems;
  if (json) {
    out << doc.dump(2) << '\n';
  } else {
    out << text.str();
  }
}

void WriteNetwork(std::ostream& out, const pipeline::DumpAnalysisResult& result, bool json) {
  const kernel::DeepAnalysis& deep = result.analysis;
  const kernel::NetNamespaces& net = *deep.net;
  if (json) {
    ordered_json doc;
    doc["schema"] = "ktriage.net/1";
    doc["dump"] = result.dump;
    doc["vmlinux"] = result.vmlinux;
    AddSourcesJson(doc, deep);
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
    out << doc.dump(2) << '\n';
    return;
  }

  std::ostringstream text;
  for (const kernel::NetNamespaceInfo& ns : net.namespaces) {
    text << "netns " << ns.inum << (ns.is_init ? " (init_net)" : "") << " at " << HexString(ns.address);
    if (ns.count) text << ", count " << *ns.count;
    if (!ns.on_list) text << ", not on net_namespace_list";
    text << ", " << ns.task_pids.size() << (ns.task_pids.size() == 1 ? " task" : " tasks") << '\n';
    for (const kernel::NetDeviceInfo& d : ns.devices) {
      text << "  dev " << d.name << " ifindex " << d.ifindex << (d.up() ? " up" : " down");
      if (!d.kind.empty()) text << " " << d.kind;
      if (!d.peer_name.empty()) text << " peer " << d.peer_name;
      text << '\n';
    }
    for (const kernel::TcpSocketInfo& s : ns.tcp_sockets) text << "  tcp " << SocketLine(s, net.hz) << '\n';
  }
  for (const std::string& line : deep.pinned_namespaces) text << "\n" << line << '\n';
  out << text.str();
}

void WriteDmesg(std::ostream& out, const PrintkLog& log, bool json, bool caller) {
  if (!json) {
    out << FormatPrintkLog(log, caller);
    return;
  }
  for (const PrintkRecord& r : log.records) {
    ordered_json j;
    j["sequence"] = r.sequence;
    j["timestamp_ns"] = r.timestamp_ns;
    j["level"] = r.level;
    j["facility"] = r.facility;
    j["caller"] = r.caller.known() ? ordered_json(CallerName(r.caller)) : ordered_json(nullptr);
    j["text"] = SanitizeUtf8(r.text);
    out << j.dump() << '\n';
  }
}

void WriteVmcoreInfo(std::ostream& out, const VmcoreFacts& f, bool json) {
  if (json) {
    // The same "vmcore" object as in `analyze --format json` (docs/json.md), plus the note itself.
    out << "{\"schema\":\"ktriage.vmcore-info/1\",\"vmcore\":" << VmcoreFactsJson(f)
        << ",\"vmcoreinfo\":" << ordered_json(SanitizeUtf8(f.vmcoreinfo)).dump() << "}\n";
    return;
  }
  auto row = [&](const char* k, const std::string& v) { out << k << std::string(14 - std::string(k).size(), ' ') << v << '\n'; };
  row("format", f.format);
  row("arch", f.arch + (f.arch_derived ? " (derived: the header does not say)" : ""));
  row("OSRELEASE", f.osrelease);
  row("BUILD-ID", f.build_id);
  row("PAGESIZE", std::to_string(f.page_size));
  if (f.kernel_offset) row("KERNELOFFSET", HexString(static_cast<uint64_t>(*f.kernel_offset)));
  if (f.crash_time) row("CRASHTIME", std::to_string(*f.crash_time));
  row("panic", f.panic_message.empty() ? "-" : f.panic_message);
  row("panic CPU", f.panic_cpu ? std::to_string(*f.panic_cpu) : "-");
  for (const auto& c : f.cpus) {
    row(("CPU " + std::to_string(c.cpu)).c_str(),
        (c.pc ? HexString(*c.pc) : std::string("-")) + (c.symbol.empty() ? "" : " " + c.symbol) + (c.pid ? "  PID " + std::to_string(*c.pid) : "") +
            (c.panicked ? "  <- panic" : ""));
  }
  row("log", f.log_layout + ", " + std::to_string(f.log_records) + " records, " + std::to_string(f.log_skipped) +
                 " skipped");
  row("kallsyms", std::to_string(f.kallsyms_symbols) + " symbols");
  for (const auto& w : f.warnings) row("warning", w);
}

}  // namespace ktriage
