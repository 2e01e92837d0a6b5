// Human summary of `ktriage analyze`: per report the title, where it is, who was running, the
// markers that change how far to trust it, and its frames; per input a one-line summary.
#include <algorithm>
#include <cctype>

#include "analyzer/output/analysis_output.h"
#include "analyzer/output/kernel_state_output.h"
#include "analyzer/output/output_format.h"
#include "base/spill_buffer.h"
#include "base/text.h"

namespace ktriage {
namespace {

using output_internal::FrameString;
using output_internal::TimestampString;

constexpr const char* kBold = "\x1b[1m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kReset = "\x1b[0m";

// Log text is untrusted: an ESC or CR from a corrupted log must not drive the reader's terminal.
std::string Printable(std::string_view s) {
  std::string out = SanitizeUtf8(s);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Taint flags are printed padded to one column per flag ("G             L    "); the letters
// are what a person reads.
std::string CollapseSpaces(std::string_view s) {
  std::string out;
  for (char c : Trim(s)) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

std::string ContextMarker(FrameContext c) {
  if (c == FrameContext::kUnknown) return "";
  std::string name = FrameContextName(c);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return "<" + name + ">";
}

class TextWriter final : public AnalysisSink {
 public:
  TextWriter(std::ostream& out, const TextOutputOptions& options, std::string temp_dir)
      : out_(out), options_(options), temp_dir_(std::move(temp_dir)) {}

  void WriteFinding(const rules::Finding& finding) override {
    // Known problems are listed after the input's reports: until then they wait, in a file past
    // a limit.
    if (!early_) early_ = std::make_unique<SpillBuffer>(temp_dir_, 1 << 20);
    early_->Append(FindingText(finding));
  }

  void BeginInput(const std::string& path, const VmcoreFacts* vmcore, const kernel::DeepAnalysis* deep) override {
    // "-" is OpenInputFile's name for standard input; people read "<stdin>" better.
    path_ = path == "-" ? "<stdin>" : Printable(path);
    reports_ = 0;
    if (vmcore) WriteVmcore(*vmcore);
    // The dump's own answer (who holds the lock, where the memory went) before the evidence.
    if (deep) {
      for (const kernel::StateFinding& f : deep->findings) Field("answer", Paint(kBold, kRed, Printable(f.text)));
    }
  }

  void WriteReport(const CrashReport& r) override {
    // The heading waits for the first report so that a clean input costs a single line.
    if (reports_ == 0) {
      if (inputs_ > 0) out_ << '\n';
      out_ << Paint(kBold, path_) << '\n';
    } else {
      out_ << '\n';
    }
    ++reports_;
    out_ << "  " << Paint(kBold, kRed, r.title.empty() ? "(untitled report)" : Printable(r.title)) << '\n';
    Field("kind", ReportKindName(r.kind));
    std::string where = path_ + ":" + std::to_string(r.line_start) + "-" + std::to_string(r.line_end);
    if (r.time_start) {
      where += " [" + TimestampString(*r.time_start);
      if (r.time_end && *r.time_end != *r.time_start) where += "-" + TimestampString(*r.time_end);
      where += "]";
    }
    Field("where", where);
    std::string task;
    if (r.cpu) task += "CPU " + std::to_string(*r.cpu);
    if (r.pid) task += (task.empty() ? "" : ", ") + std::string("PID ") + std::to_string(*r.pid);
    if (!r.comm.empty()) task += (task.empty() ? "" : ", ") + std::string("comm ") + Printable(r.comm);
    std::string caller = CallerName(r.caller);
    if (!caller.empty()) task += (task.empty() ? "" : ", ") + std::string("caller ") + caller;
    if (!task.empty()) Field("task", task);
    if (!r.tainted.empty()) Field("tainted", Printable(CollapseSpaces(r.tainted)));
    if (!r.kernel_release.empty()) Field("kernel", Printable(r.kernel_release));
    if (r.corrupted) {
      Field("corrupted", Paint(kYellow, r.corrupted_reason.empty() ? "yes" : Printable(r.corrupted_reason)));
    }
    if (r.interleaved) Field("interleaved", Paint(kYellow, "lines of other CPUs were separated heuristically"));
    if (r.panicked) Field("panicked", Paint(kRed, r.panic_message.empty() ? "yes" : Printable(r.panic_message)));
    WriteFrames(r.frames);
  }

  void EndInput(const InputResult& input) override {
    const LogAnalysis& a = input.analysis;
    // Clean inputs list one per line; a blank line only sets off a block of reports.
    if (reports_ == 0 && previous_had_reports_) out_ << '\n';
    previous_had_reports_ = reports_ > 0;
    std::string summary = reports_ == 0 ? Paint(kBold, path_) + ": " : "  ";
    if (!input.opened) {
      summary += "not analysed";
    } else {
      summary += reports_ == 0 ? "no crash reports" : Plural(reports_, "report", "reports");
      summary += " in " + Plural(a.stats.lines, "line", "lines") + " (" + LogFormatName(a.format);
      if (!a.compression.empty() && a.compression != "none") summary += ", " + Printable(a.compression);
      summary += ")";
      if (!a.system.kernel_release.empty()) summary += "; kernel " + Printable(a.system.kernel_release);
      if (!a.system.hardware.empty()) summary += "; " + Printable(a.system.hardware);
    }
    out_ << summary << '\n';
    // Known problems: what a kernel engineer reads first, so in red for the severe ones.
    if (early_) {
      if (Status copied = early_->CopyTo(out_); !copied) out_.setstate(std::ios::badbit);
      early_.reset();
    }
    for (const rules::Finding& f : input.findings) out_ << FindingText(f);
    if (input.deep) WriteDeep(*input.deep, input.findings);
    for (const std::string& n : input.symbol_notes) out_ << "  " << Paint(kDim, "note: " + Printable(n)) << '\n';
    for (const std::string& e : input.errors) out_ << "  " << Paint(kRed, "error: ") << Printable(e) << '\n';
    ++inputs_;
  }

  void Finish() override { out_.flush(); }

 private:
  std::string FindingText(const rules::Finding& f) const {
    const bool severe = f.severity == "high" || f.severity == "critical";
    std::string head = "known problem [" + f.severity + "] " + f.rule_id;
    std::string s = "  " + Paint(kBold, severe ? kRed : kYellow, head) + ": " + Printable(f.summary) +
                    (f.report ? " (report " + std::to_string(*f.report + 1) + ")" : "") +
                    (f.corroborated ? ", corroborated" : "") + '\n';
    const size_t shown = std::min<size_t>(f.evidence.size(), 4);
    for (size_t i = 0; i < shown; ++i) {
      s += "      " + Paint(kDim, "line " + std::to_string(f.evidence[i].line) + ": " + Printable(f.evidence[i].text)) + '\n';
    }
    if (shown < f.evidence.size()) {
      s += "      " + Paint(kDim, "... " + std::to_string(f.evidence.size() - shown) + " more lines") + '\n';
    }
    return s;
  }

  std::string Paint(const char* style, std::string_view s) const {
    if (!options_.color) return std::string(s);
    return std::string(style) + std::string(s) + kReset;
  }
  std::string Paint(const char* style1, const char* style2, std::string_view s) const {
    if (!options_.color) return std::string(s);
    return std::string(style1) + style2 + std::string(s) + kReset;
  }

  // What the dump itself says, before the reports of its log.
  void WriteVmcore(const VmcoreFacts& f) {
    out_ << Paint(kBold, path_) << ": crash dump (" << Printable(f.format)
         << (f.compression.empty() ? "" : ", " + Printable(f.compression)) << ", " << Printable(f.arch)
         << (f.arch_derived ? " derived" : "") << ")\n";
    Field("kernel", Printable(f.osrelease) + (f.build_id.empty() ? "" : "  build-id " + Printable(f.build_id)));
    if (f.kernel_offset) Field("kaslr", HexString(static_cast<uint64_t>(*f.kernel_offset)));
    if (!f.panic_message.empty() || f.panic_cpu)
      Field("panic", Paint(kRed, Printable(f.panic_message.empty() ? "yes" : f.panic_message)) +
                         (f.panic_cpu ? " (CPU " + std::to_string(*f.panic_cpu) + ")" : ""));
    for (const VmcoreCpu& c : f.cpus) {
      std::string line = "CPU " + std::to_string(c.cpu);
      if (c.pid) line += ", PID " + std::to_string(*c.pid);
      if (c.pc) line += ": " + (c.symbol.empty() ? HexString(*c.pc) : Printable(c.symbol));
      if (!c.source.empty()) line += "  " + Printable(c.source);
      for (const InlinedCall& call : c.inlined)
        line += Paint(kDim, "  [inlined " + Printable(call.function) + " " + Printable(call.source) + "]");
      if (c.panicked) line += Paint(kRed, "  <- panic");
      Field("cpu", line);
    }
    Field("log", Printable(f.log_layout.empty() ? "unreadable" : f.log_layout) + ", " +
                     Plural(f.log_records, "record", "records") +
                     (f.log_skipped ? ", " + Plural(f.log_skipped, "skipped", "skipped") : ""));
    for (const std::string& w : f.warnings) Field("warning", Paint(kYellow, Printable(w)));
  }

  void Field(const char* name, const std::string& value) {
    std::string label = std::string(name) + ":";
    label.resize(std::max<size_t>(label.size(), 12), ' ');
    out_ << "    " << label << ' ' << value << '\n';
  }

  // What the dump's memory showed: namespaces kept alive by sockets first (a finding), then each
  // CPU's stack and the blocked tasks' stacks, frames as in reports.
  void WriteDeep(const kernel::DeepAnalysis& deep, const std::vector<rules::Finding>& findings) {
    out_ << "  " << Paint(kDim, "read with " + Printable(deep.type_source) + "; symbols from " +
                                    Printable(deep.symbol_source)) << '\n';
    for (const std::string& note : deep.notes) out_ << "  " << Paint(kDim, "note: " + Printable(note)) << '\n';
    if (!deep.modules.empty()) {
      std::string names;
      for (const kernel::LoadedModule& m : deep.modules) {
        names += (names.empty() ? "" : " ") + m.name;
        if (m.taints != 0) names += "(" + kernel::TaintLetters(m.taints) + ")";
      }
      out_ << "  " << Paint(kDim, std::to_string(deep.modules.size()) + " modules: " + Printable(names)) << '\n';
    }
    // Tasks, CPUs, RCU, locks, memory: each line as `ktriage ps` and the JSON say it.
    std::string state = KernelStateText(deep);
    for (size_t at = 0; at < state.size();) {
      const size_t end = state.find('\n', at);
      out_ << Printable(state.substr(at, end - at)) << '\n';
      at = end == std::string::npos ? state.size() : end + 1;
    }
    for (const std::string& line : deep.pinned_namespaces) {
      // Said already when a rule (net.netns.pinned-by-orphaned-tcp) made it a finding.
      if (std::any_of(findings.begin(), findings.end(), [&](const rules::Finding& f) { return f.summary == line; })) continue;
      out_ << "  " << Paint(kBold, kRed, "network namespace kept alive") << ": " << Printable(line) << '\n';
    }
    auto stack = [&](const std::string& heading, const kernel::DeepStack& s) {
      out_ << "  " << Paint(kBold, heading) << '\n';
      WriteFrames(s.frames);
      out_ << "      " << Paint(kDim, (s.complete ? "end: " : "stopped: ") + Printable(s.end)) << '\n';
    };
    for (const kernel::DeepStack& s : deep.cpus) {
      std::string heading = "CPU " + std::to_string(s.cpu) + " stack (from the dump)";
      if (s.task) heading += ": PID " + std::to_string(s.task->pid) + " " + Printable(s.task->comm);
      stack(heading, s);
    }
    for (const kernel::DeepStack& s : deep.tasks) {
      stack("blocked task PID " + std::to_string(s.task->pid) + " " + Printable(s.task->comm) + " (" +
                std::string(1, s.task->state) + ")",
            s);
    }
    for (const kernel::DeepStack& s : deep.lock_owners) {
      stack("lock owner PID " + std::to_string(s.task->pid) + " " + Printable(s.task->comm) + " (" +
                std::string(1, s.task->state) + ")",
            s);
    }
    for (const std::string& p : deep.problems) out_ << "  " << Paint(kDim, "note: " + Printable(p)) << '\n';
  }

  void WriteFrames(const std::vector<Frame>& frames) {
    if (frames.empty()) return;
    out_ << "    frames:\n";
    size_t limit = options_.show_all_frames ? frames.size() : std::min(frames.size(), options_.max_frames);
    FrameContext context = FrameContext::kUnknown;
    for (size_t i = 0; i < limit; ++i) {
      const Frame& f = frames[i];
      if (f.context != context) {
        std::string marker = ContextMarker(f.context);
        if (!marker.empty()) out_ << "      " << marker << '\n';
        context = f.context;
      }
      std::string line = Printable(FrameString(f));
      if (f.is_ip) line += "  (ip)";
      if (!f.source.empty()) line += "  " + Printable(f.source);
      if (f.printed_inline) line += " (inlined)";
      if (f.reliable) {
        out_ << "        " << line << '\n';
      } else {
        out_ << "      " << Paint(kDim, "? " + line) << '\n';
      }
      // Inlined callees under the frame, innermost first, as decode_stacktrace.sh lists them.
      for (const InlinedCall& call : f.inlined) {
        out_ << "          " << Paint(kDim, "inlined " + Printable(call.function) + "  " + Printable(call.source))
             << '\n';
      }
    }
    if (limit < frames.size()) {
      out_ << "        ... " << (frames.size() - limit) << " more\n";
    }
  }

  std::ostream& out_;
  TextOutputOptions options_;
  std::string temp_dir_;
  std::unique_ptr<SpillBuffer> early_;  // the input's findings of reports evaluated early
  std::string path_;
  size_t inputs_ = 0;
  uint64_t reports_ = 0;
  bool previous_had_reports_ = false;
};

}  // namespace

std::unique_ptr<AnalysisSink> MakeTextWriter(std::ostream& out, const TextOutputOptions& options,
                                             const std::string& temp_dir) {
  return std::make_unique<TextWriter>(out, options, temp_dir);
}

void WriteText(std::ostream& out, const std::vector<InputResult>& inputs, const TextOutputOptions& options) {
  TextWriter writer(out, options, "/tmp");
  output_internal::Replay(writer, inputs);
}

}  // namespace ktriage
