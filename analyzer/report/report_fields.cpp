// Field extraction is hand-written over string_view: the lines are untrusted, and a report has
// few lines, so clarity wins over a table of regexes.
#include "analyzer/report/report_fields.h"

#include <algorithm>

#include "analyzer/report/frame_parser.h"
#include "base/text.h"

namespace ktriage {
namespace {

std::optional<int> ToInt(std::string_view s) {
  auto v = ParseDecimal(s);
  if (!v || *v > 0x7fffffff) return std::nullopt;
  return static_cast<int>(*v);
}

std::string_view NextToken(std::string_view& s) {
  s = TrimLeft(s);
  size_t end = 0;
  while (end < s.size() && !IsSpace(s[end])) ++end;
  std::string_view tok = s.substr(0, end);
  s.remove_prefix(end);
  return tok;
}

// "CPU: 1 PID: 2541 Comm: ip Tainted: G      D L     6.1.0-50-cloud-amd64 #1 Debian 6.1.153-1"
// (6.9+ adds "UID: 0" after the CPU; old kernels print "Not tainted").
// Returns false when the line is not such a line (e.g. "WARNING: CPU: 1 PID: 96 at file:line").
// A report header that named the task already (soft lockup, hung task) keeps its task: in a hung
// task report this line describes khungtaskd, not the blocked task.
bool ParseCpuLine(std::string_view line, CrashReport& r) {
  size_t at = line.find("CPU: ");
  if (at == std::string_view::npos) return false;
  std::string_view s = line.substr(at + 5);
  auto cpu = ToInt(NextToken(s));
  if (!cpu) return false;
  std::string_view t = TrimLeft(s);
  if (ConsumePrefix(t, "UID: ")) {
    NextToken(t);
    t = TrimLeft(t);
  }
  if (!ConsumePrefix(t, "PID: ")) return false;
  auto pid = ToInt(NextToken(t));
  t = TrimLeft(t);
  if (!pid || !ConsumePrefix(t, "Comm: ")) return false;
  // comm may contain spaces in theory; the kernel prints it as-is, so take up to the taint word.
  size_t taint_pos = t.find(" Tainted: ");
  size_t not_pos = t.find(" Not tainted");
  size_t end = std::min(taint_pos, not_pos);
  if (!r.pid || r.pid == pid) {
    r.cpu = cpu;
    r.pid = pid;
    r.comm = std::string(Trim(t.substr(0, end)));
  }
  if (end == std::string_view::npos) return true;
  std::string_view rest;
  if (end == taint_pos) {
    // The flags are a fixed-width field of capital letters and blanks ("G           OEL    ");
    // the release is the first token with anything else in it (it always has a digit).
    rest = t.substr(taint_pos + 10);
    std::string flags;
    while (true) {
      std::string_view probe = rest;
      std::string_view tok = NextToken(probe);
      bool capitals = !tok.empty();
      for (char c : tok) capitals = capitals && c >= 'A' && c <= 'Z';
      if (!capitals) break;
      flags += tok;
      rest = probe;
    }
    r.tainted = flags;
  } else {
    rest = t.substr(not_pos + 12);
  }
  std::string_view rel = NextToken(rest);
  if (!rel.empty()) r.kernel_release = std::string(rel);
  return true;
}

// "watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [ip:2541]"
void ParseSoftLockupHeader(std::string_view line, CrashReport& r) {
  size_t at = line.find("CPU#");
  if (at == std::string_view::npos) return;
  std::string_view s = line.substr(at + 4);
  auto cpu = ConsumeDecimal(s);
  if (cpu && *cpu < 1u << 20) r.cpu = static_cast<int>(*cpu);
  size_t open = line.rfind('[');
  size_t close = line.rfind(']');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return;
  std::string_view inside = line.substr(open + 1, close - open - 1);
  size_t colon = inside.rfind(':');
  if (colon == std::string_view::npos) return;
  if (auto pid = ToInt(inside.substr(colon + 1))) {
    r.pid = pid;
    r.comm = std::string(inside.substr(0, colon));
  }
}

// "INFO: task kworker/u4:2:1234 blocked for more than 120 seconds."
void ParseHungTaskHeader(std::string_view line, CrashReport& r) {
  size_t at = line.find("INFO: task ");
  size_t end = line.find(" blocked for more than");
  if (at == std::string_view::npos || end == std::string_view::npos || end < at + 11) return;
  std::string_view who = line.substr(at + 11, end - at - 11);
  size_t colon = who.rfind(':');
  if (colon == std::string_view::npos) return;
  if (auto pid = ToInt(who.substr(colon + 1))) {
    r.pid = pid;
    r.comm = std::string(who.substr(0, colon));
  }
}

bool IsRegisterName(std::string_view n) {
  if (n.empty() || n.size() > 8) return false;
  for (char c : n)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_')) return false;
  return true;
}

bool IsRegisterValue(std::string_view v) {
  // "ffff888003a0b000", "0018:ffffc90000003e58", "00007f0b2c5e8740(0000)"
  size_t paren = v.find('(');
  if (paren != std::string_view::npos) v = v.substr(0, paren);
  size_t colon = v.find(':');
  if (colon != std::string_view::npos) v = v.substr(colon + 1);
  if (v.size() < 4 || v.size() > 16) return false;
  for (char c : v)
    if (!IsHexDigit(c)) return false;
  return true;
}

// A line made only of "NAME: value" pairs ("RAX: 0000 RBX: ffff ...", "x29: ... x28: ...").
bool ParseRegisterLine(std::string_view line, std::map<std::string, std::string>& regs) {
  std::string_view s = Trim(line);
  std::map<std::string, std::string> found;
  while (!s.empty()) {
    std::string_view tok = NextToken(s);
    std::string_view name, value;
    size_t colon = tok.find(':');
    if (colon == std::string_view::npos) return false;
    name = tok.substr(0, colon);
    if (colon + 1 < tok.size()) {
      value = tok.substr(colon + 1);  // "GS:ffff88803ec00000(0000)"
    } else {
      value = NextToken(s);
      if (value == ":") value = NextToken(s);
    }
    if (name.empty()) {  // "sp : ffff" arm64 style leaves name in the previous token
      return false;
    }
    if (!IsRegisterName(name) || !IsRegisterValue(value)) return false;
    found.emplace(std::string(name), std::string(value));
  }
  if (found.empty()) return false;
  regs.insert(found.begin(), found.end());
  return true;
}

// arm64 prints "sp : ffff800008003e30" and "pc : func+0x1/0x2"; the value after " : ".
bool ParseArm64Register(std::string_view line, std::map<std::string, std::string>& regs) {
  std::string_view s = Trim(line);
  for (std::string_view name : {"sp", "pc", "lr", "pstate"}) {
    std::string_view t = s;
    if (ConsumePrefix(t, name) && ConsumePrefix(t, " : ")) {
      regs[std::string(name)] = std::string(Trim(t));
      return true;
    }
  }
  return false;
}

// "Call Trace:"/"Call trace:" (x86, arm64), "<stack trace>" (ftrace; trace-cmd "<stack trace >"),
// "Backtrace:" (arm32), "stack backtrace:" (lockdep). All hold "race": one scan rules out most lines.
bool IsTraceHeading(std::string_view line) {
  if (line.find("race") == std::string_view::npos) return false;
  return line.find("Call Trace") != std::string_view::npos || line.find("Call trace:") != std::string_view::npos ||
         line.find("<stack trace") != std::string_view::npos || line.find("acktrace:") != std::string_view::npos;
}

bool EndsWithLockSite(std::string_view line) {
  std::string_view t = TrimRight(line);
  size_t at = t.rfind(", at: [<");
  return at != std::string_view::npos && !t.empty() && t.back() == ']' && t.find(' ', at + 6) == std::string_view::npos;
}

}  // namespace

std::string NormalizeFunctionName(std::string_view name) {
  // Compiler clones and split parts keep the source function's identity before the first '.'.
  size_t dot = name.find('.');
  return std::string(name.substr(0, dot));
}

void ParseReportFields(CrashReport& r) {
  std::vector<std::optional<Frame>> frames;
  frames.reserve(r.text.size());
  for (const std::string& line : r.text) frames.push_back(ParseFrameLine(line));
  ParseReportFields(r, std::move(frames));
}

void ParseReportFields(CrashReport& r, std::vector<std::optional<Frame>>&& frames) {
  r.frames.clear();
  r.registers.clear();
  FrameContext ctx = FrameContext::kUnknown;
  bool in_trace = false;
  bool aux_stack = false;  // KASAN "Allocated by"/"Freed by" stacks are not the crash stack
  bool first = true;
  bool cpu_line_seen = false;
  // The panic a report ends in (hung_task_panic, softlockup_panic, panic_on_rcu_stall) prints the
  // panicking context's own stack: khungtaskd's, or the same CPU's again from its interrupt. The
  // report's frames are the ones before it; when it had none (panic_on_warn panics before the
  // warning's trace), the panic's trace is the report's.
  bool frames_done = false;
  // An arm32 line names a frame and its caller ("X from Y+off"): the caller is the next line's
  // frame, at the return address into it, and after the trace's last line it is the outermost one.
  std::optional<Frame> arm_caller;
  auto flush_arm_caller = [&] {
    if (arm_caller) r.frames.push_back(std::move(*arm_caller));
    arm_caller.reset();
  };
  for (size_t i = 0; i < r.text.size(); ++i) {
    std::string_view line = r.text[i];
    if (frames_done) continue;
    if (!r.frames.empty() && line.find("Kernel panic - not syncing") != std::string_view::npos) {
      flush_arm_caller();
      frames_done = true;
      continue;
    }
    if (first) {
      first = false;
      if (line.find("soft lockup") != std::string_view::npos) ParseSoftLockupHeader(line, r);
      if (line.find("INFO: task ") != std::string_view::npos) ParseHungTaskHeader(line, r);
    }
    std::string_view t = TrimLeft(line);
    if (ConsumePrefix(t, "Hardware name: ")) {
      r.hardware = std::string(TrimRight(t));
      continue;
    }
    if (ConsumePrefix(t, "Modules linked in:")) {
      r.modules.clear();
      while (!t.empty()) {
        std::string_view m = NextToken(t);
        if (!m.empty()) r.modules.emplace_back(m);
      }
      continue;
    }
    // The first "CPU: N PID: P Comm: ..." line is the report's own; later ones belong to other
    // CPUs' backtraces (NMI backtraces) printed inside it.
    if (!cpu_line_seen && line.find("CPU: ") != std::string_view::npos && line.find(" PID: ") != std::string_view::npos &&
        ParseCpuLine(line, r)) {
      cpu_line_seen = true;
      continue;
    }
    if (IsTraceHeading(line)) {
      flush_arm_caller();
      in_trace = true;
      aux_stack = false;
      if (ctx == FrameContext::kUnknown) ctx = FrameContext::kTask;
      continue;
    }
    if (line.find("Allocated by task") != std::string_view::npos || line.find("Freed by task") != std::string_view::npos ||
        line.find("Last potentially related work creation") != std::string_view::npos ||
        line.find("The buggy address belongs") != std::string_view::npos) {
      aux_stack = true;
      continue;
    }
    if (auto marker = ParseContextMarker(line)) {
      flush_arm_caller();
      ctx = *marker;
      continue;
    }
    if (frames[i]) {
      if (auto marker = LeadingContextMarker(line)) ctx = *marker;
    }
    // 2.6-4.x lockdep wraps a held lock's line before its function: " #0:  (&buffer->mutex){+.+.+.},
    // at: [<ffffffff81175edb>]" then "sysfs_write_file+0x3c/0x144", which is where the lock was
    // taken, not a frame of the stack.
    if (frames[i] && !in_trace && i > 0 && EndsWithLockSite(r.text[i - 1])) continue;
    if (std::optional<Frame> f = std::move(frames[i])) {
      if (f->caller && !f->is_ip && !aux_stack) {
        if (arm_caller && arm_caller->function == f->function) {
          // The return address into this frame, printed by the line before, says where it is.
          f->offset = arm_caller->offset;
          f->size = arm_caller->size;
          f->address = arm_caller->address;
          if (f->module.empty()) f->module = arm_caller->module;
          arm_caller.reset();
        }
        flush_arm_caller();
        Frame next;
        next.function = f->caller->function;
        next.offset = f->caller->offset;
        next.size = f->caller->size;
        next.module = f->caller->module;
        next.address = f->caller->address;
        arm_caller = std::move(next);
      } else {
        flush_arm_caller();
      }
      if (f->is_ip) {
        // 2.6-4.x repeat the PC after the trace as the oops's summary ("RIP  [<...>] foo+0x1/0x2",
        // "EIP: [<...>] foo+0x1/0x2 SS:ESP ..."): the same frame again, not the outermost one.
        const bool repeat = in_trace && std::any_of(r.frames.begin(), r.frames.end(), [&](const Frame& g) {
          return g.is_ip && g.function == f->function && g.offset == f->offset;
        });
        if (repeat) continue;
        // The PC line of the report itself; a later RIP (exception frame inside the trace) is kept as a frame too.
        f->context = in_trace ? ctx : FrameContext::kUnknown;
        if (!aux_stack) r.frames.push_back(std::move(*f));
        continue;
      }
      if (aux_stack) continue;
      f->context = in_trace || ctx != FrameContext::kUnknown ? ctx : FrameContext::kUnknown;
      if (!in_trace && f->function.empty()) continue;
      if (arm_caller) arm_caller->context = f->context;
      r.frames.push_back(std::move(*f));
      continue;
    }
    // arm32 follows a frame with the registers it saved (" r7:df912310 r6:df912140"): not the report's.
    if (arm_caller) continue;
    if (!ParseArm64Register(line, r.registers)) ParseRegisterLine(line, r.registers);
  }
  if (!frames_done) flush_arm_caller();
}

}  // namespace ktriage
