// `ktriage bt`: every CPU's stack in a dump (and with --all every task's, with --pid one task's),
// unwound with the dump's own vmlinux and symbolized like every other frame ktriage prints.
#include "analyzer/cli/bt_command.h"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/symbol_options.h"
#include "analyzer/kernel_state/kernel_state.h"
#include "analyzer/symbolize/report_symbolizer.h"
#include "base/text.h"
#include "symbols/debuginfo_locator.h"

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

// One frame for printing: the unwinder's, named and symbolized.
struct PrintedFrame {
  kernel::StackFrame raw;
  Frame frame;  // function, offset, size, module; source and inline chain from debuginfo
};

class FramePrinter {
 public:
  FramePrinter(kernel::KernelState& state, ReportSymbolizer& symbolizer, std::string release, std::string build_id)
      : state_(state), symbolizer_(symbolizer), release_(std::move(release)), build_id_(std::move(build_id)) {}

  std::vector<PrintedFrame> Frames(const kernel::Backtrace& bt) {
    std::vector<PrintedFrame> out;
    for (const kernel::StackFrame& f : bt.frames) {
      PrintedFrame p;
      p.raw = f;
      p.frame.address = f.pc;
      p.frame.is_ip = f.exact_pc;
      if (std::optional<kernel::CodeSymbol> sym = state_.unwinder().Describe(f.pc, f.exact_pc)) {
        p.frame.function = sym->function;
        p.frame.offset = sym->offset;
        p.frame.module = sym->module;
        // By name and offset: the symbolizer checks sizes as kallsyms prints them (to the next
        // symbol), which is not ELF's st_size.
        if (!sym->function.empty()) symbolizer_.AnnotateFrame(p.frame, release_, build_id_);
        if (sym->size != 0) p.frame.size = sym->size;
      }
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  kernel::KernelState& state_;
  ReportSymbolizer& symbolizer_;
  std::string release_, build_id_;
};

std::string FrameName(const Frame& f) {
  if (f.function.empty()) return f.module.empty() ? HexString(f.address.value_or(0)) : "[" + f.module + "]+" + HexString(f.offset.value_or(0));
  std::string s = f.function + "+" + HexString(f.offset.value_or(0));
  if (f.size) s += "/" + HexString(*f.size);
  if (!f.module.empty()) s += " [" + f.module + "]";
  return s;
}

void PrintText(std::ostream& out, const std::string& heading, const kernel::Backtrace& bt,
               const std::vector<PrintedFrame>& frames) {
  out << heading << '\n';
  for (size_t i = 0; i < frames.size(); ++i) {
    const PrintedFrame& p = frames[i];
    std::string line = "  #" + std::to_string(i) + (i < 10 ? "  " : " ") + FrameName(p.frame);
    if (!p.frame.source.empty()) line += "  " + p.frame.source;
    if (p.raw.method == "pt_regs") line += "  (interrupted)";
    out << line << '\n';
    for (const InlinedCall& call : p.frame.inlined) out << "        inlined " << call.function << "  " << call.source << '\n';
  }
  out << "  " << (bt.complete ? "end: " : "stopped: ") << bt.end << "\n\n";
}

// Adds "frames", "complete" and "end" to `j`.
void AddTraceJson(ordered_json& j, const kernel::Backtrace& bt, const std::vector<PrintedFrame>& frames) {
  ordered_json list = ordered_json::array();
  for (const PrintedFrame& p : frames) {
    ordered_json f;
    f["pc"] = HexString(p.raw.pc);
    f["sp"] = HexString(p.raw.sp);
    f["function"] = p.frame.function.empty() ? ordered_json(nullptr) : ordered_json(SanitizeUtf8(p.frame.function));
    f["offset"] = p.frame.offset ? ordered_json(HexString(*p.frame.offset)) : ordered_json(nullptr);
    f["size"] = p.frame.size ? ordered_json(HexString(*p.frame.size)) : ordered_json(nullptr);
    f["module"] = p.frame.module.empty() ? ordered_json(nullptr) : ordered_json(p.frame.module);
    f["source"] = p.frame.source.empty() ? ordered_json(nullptr) : ordered_json(p.frame.source);
    ordered_json inlined = ordered_json::array();
    for (const InlinedCall& c : p.frame.inlined) inlined.push_back({{"function", c.function}, {"source", c.source}});
    f["inlined"] = inlined;
    f["exact_pc"] = p.raw.exact_pc;
    f["method"] = p.raw.method;
    list.push_back(f);
  }
  j["frames"] = list;
  j["complete"] = bt.complete;
  j["end"] = bt.end;
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
  Result<std::unique_ptr<DumpFile>> dump = DumpFile::Open(raw.paths);
  if (!dump) {
    context.err << "ktriage: " << dump.error().message << '\n';
    return kExitInputError;
  }
  const VmcoreInfo& info = (*dump)->vmcoreinfo();
  ReportSymbolizerOptions symbol_options = ToReportSymbolizerOptions(raw.symbols, context);
  std::string vmlinux = raw.symbols.vmlinux;
  if (vmlinux.empty()) {
    symbols::DebuginfoLocator locator(symbol_options.search);
    symbols::Located found = locator.Vmlinux(raw.symbols.release.empty() ? info.osrelease : raw.symbols.release, info.build_id);
    if (found.files.empty()) {
      context.err << "ktriage: " << raw.paths[0] << ": no vmlinux with debuginfo for " << info.osrelease
                  << " (build " << info.build_id << "); searched " << found.searched
                  << "; give --vmlinux, --debug-root, or install the -dbg package\n";
      return kExitInputError;
    }
    vmlinux = found.files.front();
  }
  Result<std::unique_ptr<kernel::KernelState>> state = kernel::KernelState::Open(**dump, vmlinux);
  if (!state) {
    context.err << "ktriage: " << raw.paths[0] << ": " << state.error().message << '\n';
    return kExitInputError;
  }
  symbol_options.vmlinux = vmlinux;
  ReportSymbolizer symbolizer(symbol_options);
  FramePrinter printer(**state, symbolizer, info.osrelease, info.build_id);
  const bool only_selected = !raw.cpus.empty() || !raw.pids.empty();
  auto selected = [](const std::vector<int>& list, int v) { return std::find(list.begin(), list.end(), v) != list.end(); };

  const kernel::TaskListResult& tasks = (*state)->Tasks();
  auto task_at = [&](uint64_t address) -> const kernel::TaskInfo* {
    for (const kernel::TaskInfo& t : tasks.tasks) {
      if (t.address == address) return &t;
    }
    return nullptr;
  };
  ordered_json doc;
  doc["schema"] = "ktriage.backtraces/1";
  doc["dump"] = raw.paths[0];
  doc["vmlinux"] = vmlinux;
  doc["cpus"] = ordered_json::array();
  doc["tasks"] = ordered_json::array();
  std::ostringstream text;

  for (const CpuState& cpu : (*dump)->facts().cpus) {
    if (only_selected && !selected(raw.cpus, cpu.cpu)) continue;
    const kernel::Backtrace bt = (*state)->CpuBacktrace(cpu);
    const std::vector<PrintedFrame> frames = printer.Frames(bt);
    std::optional<uint64_t> current = (*state)->CurrentTask(cpu.cpu);
    const kernel::TaskInfo* task = current ? task_at(*current) : nullptr;
    std::string heading = "CPU " + std::to_string(cpu.cpu);
    if (task != nullptr) heading += ": PID " + std::to_string(task->pid) + " \"" + task->comm + "\" (task " + HexString(task->address) + ")";
    else if (current) heading += ": task " + HexString(*current);
    PrintText(text, heading, bt, frames);
    ordered_json j;
    j["cpu"] = cpu.cpu;
    j["task"] = task != nullptr ? TaskJson(*task) : ordered_json(nullptr);
    AddTraceJson(j, bt, frames);
    doc["cpus"].push_back(j);
  }
  for (const kernel::TaskInfo& t : tasks.tasks) {
    const bool wanted = only_selected ? selected(raw.pids, t.pid) : (raw.all || t.state == 'D');
    if (!wanted) continue;
    Result<kernel::Backtrace> bt = (*state)->TaskBacktrace(t);
    const std::string heading = "PID " + std::to_string(t.pid) + " \"" + t.comm + "\" state " + std::string(1, t.state) +
                                " CPU " + std::to_string(t.cpu) + " (task " + HexString(t.address) + ")";
    ordered_json j = TaskJson(t);
    if (!bt) {
      text << heading << "\n  stopped: " << bt.error().message << "\n\n";
      j["frames"] = ordered_json::array();
      j["complete"] = false;
      j["end"] = bt.error().message;
    } else {
      const std::vector<PrintedFrame> frames = printer.Frames(*bt);
      PrintText(text, heading, *bt, frames);
      AddTraceJson(j, *bt, frames);
    }
    doc["tasks"].push_back(j);
  }
  doc["problems"] = tasks.problems;
  for (const std::string& p : (*state)->modules().problems) doc["problems"].push_back(p);
  if (raw.format == "json") {
    context.out << doc.dump(2) << '\n';
  } else {
    context.out << text.str();
    for (const auto& p : doc["problems"]) context.err << "ktriage: warning: " << p.get<std::string>() << '\n';
  }
  return kExitOk;
}

}  // namespace ktriage::cli
