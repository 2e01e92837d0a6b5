// The names come from the kernel's own tracing, unwinding and reporting code (kernel/trace,
// kernel/kprobes.c, arch/*/kernel/{kprobes,ftrace,stacktrace,traps}.c, lib/dump_stack.c,
// kernel/panic.c, lib/nmi_backtrace.c) as of 2.6 to 6.12.
#include "analyzer/report/machinery_frames.h"

#include <algorithm>
#include <array>

namespace ktriage {
namespace {

// Sorted, for a binary search.
constexpr std::array kMachinery = std::to_array<std::string_view>({
    kFtraceTrampolineFrame,
    "__const_udelay",
    "__delay",
    "__delay_cycles",
    "__dump_stack",
    "__ftrace_ops_list_func",
    "__ftrace_trace_stack",
    "__kretprobe_trampoline",
    "__kretprobe_trampoline_handler",
    "__ndelay",
    "__perf_event_overflow",
    "__show_regs",
    "__trace_stack",
    "__udelay",
    "__warn",
    "__warn_printk",
    "aggr_pre_handler",
    "arch_ftrace_ops_list_func",
    "arch_rethook_trampoline",
    "arch_rethook_trampoline_callback",
    "arch_stack_walk",
    "arch_trigger_cpumask_backtrace",
    "asm_exc_int3",
    "bpf_get_stack",
    "bpf_get_stackid",
    "bpf_get_stackid_pe",
    "bpf_get_stackid_raw_tp",
    "bpf_overflow_handler",
    "delay_halt",
    "delay_halt_mwaitx",
    "delay_halt_tpause",
    "delay_loop",
    "delay_tsc",
    "do_int3",
    "dump_backtrace",
    "dump_backtrace_log_lvl",
    "dump_stack",
    "dump_stack_lvl",
    "event_triggers_call",
    "exc_int3",
    "fprobe_entry",
    "fprobe_exit_handler",
    "fprobe_handler",
    "ftrace_call",
    "ftrace_caller",
    "ftrace_graph_caller",
    "ftrace_ops_assist_func",
    "ftrace_ops_list_func",
    "ftrace_regs_call",
    "ftrace_regs_caller",
    "ftrace_stub",
    "ftrace_trace_stack",
    "ftrace_trampoline",
    "function_stack_trace_call",
    "function_trace_call",
    "get_perf_callchain",
    "int3",
    "kprobe_breakpoint_handler",
    "kprobe_debug_handler",
    "kprobe_dispatcher",
    "kprobe_exceptions_notify",
    "kprobe_ftrace_handler",
    "kprobe_handler",
    "kprobe_int3_handler",
    "kprobe_perf_func",
    "kprobe_trace_func",
    "kretprobe_dispatcher",
    "kretprobe_perf_func",
    "kretprobe_trace_func",
    "kretprobe_trampoline",
    "kretprobe_trampoline_handler",
    "nmi_cpu_backtrace",
    "nmi_trigger_cpumask_backtrace",
    "opt_pre_handler",
    "optimized_callback",
    "perf_callchain",
    "perf_callchain_kernel",
    "perf_event_output_forward",
    "perf_prepare_sample",
    "perf_tp_event",
    "perf_trace_buf_submit",
    "perf_trace_run_bpf_submit",
    "pre_handler_kretprobe",
    "report_bug",
    "rethook_trampoline_handler",
    "return_to_handler",
    "show_regs",
    "show_stack",
    "show_stack_log_lvl",
    "show_trace_log_lvl",
    "stack_trace_save",
    "stack_trace_save_regs",
    "stacktrace_trigger",
    "trace_call_bpf",
    "trampoline_handler",
    "unwind_backtrace",
    "warn_slowpath_common",
    "warn_slowpath_fmt",
    "warn_slowpath_null",
});
static_assert(std::is_sorted(kMachinery.begin(), kMachinery.end()));

// BPF programs, BPF trampolines and the per-arity BPF tracepoint runners carry generated names.
constexpr std::array kMachineryPrefixes = std::to_array<std::string_view>({
    "__bpf_prog_enter",
    "__bpf_prog_exit",
    "__bpf_trace_run",
    "bpf_prog_",
    "bpf_trace_run",
    "bpf_trampoline_",
});

}  // namespace

bool IsMachineryFrame(std::string_view function) {
  if (function.empty()) return true;
  if (std::binary_search(kMachinery.begin(), kMachinery.end(), function)) return true;
  return std::any_of(kMachineryPrefixes.begin(), kMachineryPrefixes.end(),
                     [&](std::string_view p) { return function.substr(0, p.size()) == p; });
}

}  // namespace ktriage
