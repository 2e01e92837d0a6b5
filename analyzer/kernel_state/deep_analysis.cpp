// RunDeepAnalysis: stacks first (what every dump needs), then the namespaces.
#include "analyzer/kernel_state/deep_analysis.h"

#include <algorithm>

#include "analyzer/kernel_state/tcp_sockets.h"

namespace ktriage::kernel {
namespace {

DeepStack Named(KernelState& state, const Backtrace& bt) {
  DeepStack s;
  s.complete = bt.complete;
  s.end = bt.end;
  s.raw = bt.frames;
  for (const StackFrame& f : bt.frames) {
    Frame frame;
    frame.address = f.pc;
    frame.is_ip = f.exact_pc;
    if (std::optional<CodeSymbol> sym = state.unwinder().Describe(f.pc, f.exact_pc)) {
      frame.function = sym->function;
      frame.offset = sym->offset;
      if (sym->size != 0) frame.size = sym->size;
      frame.module = sym->module;
    }
    // The module's own build-id, so that its debuginfo is matched (and fetched) by it.
    if (!frame.module.empty()) {
      if (const LoadedModule* m = state.modules().Containing(f.exact_pc ? f.pc : f.pc - 1)) frame.build_id = m->build_id;
    }
    s.frames.push_back(std::move(frame));
  }
  return s;
}

bool Selected(const std::vector<int>& list, int v) { return std::find(list.begin(), list.end(), v) != list.end(); }

}  // namespace

DeepAnalysis RunDeepAnalysis(KernelState& state, const DumpFile& dump, const DeepOptions& options) {
  DeepAnalysis out;
  out.vmlinux = state.vmlinux();
  out.type_source = state.type_source();
  out.symbol_source = state.symbol_source();
  out.notes = state.notes();
  const TaskListResult& tasks = state.Tasks();
  out.task_count = tasks.tasks.size();
  out.modules = state.modules().modules;
  out.problems = tasks.problems;
  for (const std::string& p : state.modules().problems) out.problems.push_back(p);
  const bool only_named = !options.cpus.empty() || !options.pids.empty();

  if (options.stacks) {
    for (const CpuState& cpu : dump.facts().cpus) {
      if (only_named && !Selected(options.cpus, cpu.cpu)) continue;
      DeepStack s = Named(state, state.CpuBacktrace(cpu));
      s.cpu = cpu.cpu;
      if (std::optional<uint64_t> current = state.CurrentTask(cpu.cpu)) {
        for (const TaskInfo& t : tasks.tasks) {
          if (t.address == *current) s.task = t;
        }
      }
      out.cpus.push_back(std::move(s));
    }
    for (const TaskInfo& t : tasks.tasks) {
      const bool wanted = only_named ? Selected(options.pids, t.pid) : (options.all_tasks || t.state == 'D');
      if (!wanted) continue;
      Result<Backtrace> bt = state.TaskBacktrace(t);
      DeepStack s;
      if (bt) {
        s = Named(state, *bt);
      } else {
        s.end = bt.error().message;
      }
      s.task = t;
      out.tasks.push_back(std::move(s));
    }
  }

  if (options.net) {
    Result<uint64_t> jiffies = ReadJiffies(state.context());
    if (!jiffies) {
      out.problems.push_back("network namespaces not read: " + jiffies.error().message);
    } else {
      out.net = ReadNetNamespaces(state.context(), tasks.tasks, *jiffies);
      for (const std::string& p : out.net->problems) out.problems.push_back(p);
      for (const NetNamespaceInfo& ns : out.net->namespaces) {
        if (auto line = PinnedNamespaceFinding(ns, out.net->hz)) out.pinned_namespaces.push_back(*line);
      }
    }
  }
  return out;
}

}  // namespace ktriage::kernel
