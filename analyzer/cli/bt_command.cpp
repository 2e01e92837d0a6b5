// `ktriage bt`: every CPU's stack in a dump (and with --all every task's, with --pid one task's),
// unwound with the dump's own vmlinux and symbolized like every other frame ktriage prints.
#include "analyzer/cli/bt_command.h"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/deep_support.h"
#include "analyzer/cli/symbol_options.h"
#include "analyzer/kernel_state/deep_analysis.h"
#include "analyzer/symbolize/report_symbolizer.h"
#include "base/text.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;
using nlohmann::ordered_json;

struct RawBtOptions {
  std::string format;
  bool all = false;
  std::vector<int> cpus;
  std::vector<int> pids;
  bool help = false;
  std::vector<std::string> paths;
  SymbolOptions symbols;
};

po::options_description VisibleOptions(RawBtOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("all,a", po::bool_switch(&raw.all), "every task's stack too, not only the CPUs' and the blocked (D) tasks'")
      ("cpu", po::value(&raw.cpus)->value_name("N")->composing(), "only this CPU (repeatable)")
      ("pid,p", po::value(&raw.pids)->value_name("PID")->composing(), "only this task (repeatable)")
      ("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
       "text for people; json: one document (docs/json.md, \"ktriage bt\")")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  po::options_description symbols("Debuginfo (the dump's own vmlinux, found by its BUILD-ID or release)", 100, 50);
  AddSymbolOptions(symbols, raw.symbols, /*always=*/true);
  visible.add(symbols);
  return visible;
}

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

}  // namespace

std::string BtHelp() {
  RawBtOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage bt [OPTIONS] VMCORE...\n"
       "\n"
       "Kernel stacks from a crash dump, like crash's 'bt -a': each CPU's from its saved registers,\n"
       "then the tasks blocked in uninterruptible sleep (D), each from where it was switched out.\n"
       "Frames are unwound with the DWARF CFI of the dump's own vmlinux (found by the dump's BUILD-ID\n"
       "or release, as the other commands find debuginfo) and, where CFI ends (entry code, interrupt\n"
       "stacks, modules, ftrace trampolines), with the kernel's ORC tables; each frame gets its source\n"
       "line and inline chain. A vmlinux of another build is refused. Where a stack could not be\n"
       "followed to its end, 'stopped:' says where and why.\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Examples:\n"
       "  ktriage bt /var/crash/202611221000/dump.202611221000\n"
       "  ktriage bt --all --vmlinux /usr/lib/debug/boot/vmlinux-6.1.0-50-cloud-amd64 vmcore\n"
       "  ktriage bt --pid 104 --format json vmcore | jq '.tasks[0].frames[].function'\n";
  return s.str();
}

int BtCommand(const std::vector<std::string>& args, const CliContext& context) {
  RawBtOptions raw;
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.paths); !e.empty()) {
    context.err << "ktriage bt: " << e << "\nTry 'ktriage bt --help'.\n";
    return kExitUsage;
  }
  if (raw.help) {
    context.out << BtHelp();
    return kExitOk;
  }
  if (raw.paths.empty() || (raw.format != "text" && raw.format != "json")) {
    context.err << "ktriage bt: " << (raw.paths.empty() ? "no VMCORE given" : "--format is text or json")
                << "\nTry 'ktriage bt --help'.\n";
    return kExitUsage;
  }
  Result<OpenedDump> opened = OpenDumpWithVmlinux(raw.paths, raw.symbols, context);
  if (!opened) {
    context.err << "ktriage: " << opened.error().message << '\n';
    return kExitInputError;
  }
  const VmcoreInfo& info = opened->dump->vmcoreinfo();
  const std::string& vmlinux = opened->vmlinux;
  ReportSymbolizerOptions symbol_options = ToReportSymbolizerOptions(raw.symbols, context);
  symbol_options.vmlinux = vmlinux;
  ReportSymbolizer symbolizer(symbol_options);
  kernel::DeepOptions deep;
  deep.all_tasks = raw.all;
  deep.cpus = raw.cpus;
  deep.pids = raw.pids;
  deep.net = false;
  kernel::DeepAnalysis analysis = kernel::RunDeepAnalysis(*opened->state, *opened->dump, deep);
  SymbolizeStacks(analysis, symbolizer, info.osrelease, info.build_id);

  ordered_json doc;
  doc["schema"] = "ktriage.backtraces/1";
  doc["dump"] = raw.paths[0];
  doc["vmlinux"] = vmlinux;
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
  if (raw.format == "json") {
    context.out << doc.dump(2) << '\n';
  } else {
    context.out << text.str();
    for (const auto& p : doc["problems"]) context.err << "ktriage: warning: " << p.get<std::string>() << '\n';
  }
  return kExitOk;
}

}  // namespace ktriage::cli
