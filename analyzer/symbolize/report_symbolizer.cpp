// ReportSymbolizer: maps report frames to symbols::FrameRef and results back into the frames.
#include "analyzer/symbolize/report_symbolizer.h"

#include <algorithm>

namespace ktriage {
namespace {

// A log of thousands of reports should not give thousands of notes: the first causes say enough.
constexpr size_t kMaxNotes = 8;

}  // namespace

ReportSymbolizer::ReportSymbolizer(ReportSymbolizerOptions options) : options_(std::move(options)) {}
ReportSymbolizer::~ReportSymbolizer() = default;

symbols::Symbolizer& ReportSymbolizer::For(const std::string& release, const std::string& build_id) {
  const std::string r = options_.release.empty() ? release : options_.release;
  const std::string key = options_.vmlinux.empty() ? r + "\n" + build_id : "";
  auto [it, fresh] = symbolizers_.try_emplace(key);
  if (fresh) {
    symbols::SymbolizerOptions o;
    o.vmlinux = options_.vmlinux;
    o.release = r;
    o.vmlinux_build_id = options_.vmlinux.empty() ? build_id : "";
    o.search = options_.search;
    it->second = std::make_unique<symbols::Symbolizer>(std::move(o));
  }
  return *it->second;
}

void ReportSymbolizer::Apply(const Result<symbols::Symbolized>& result, std::string& source,
                             std::vector<InlinedCall>& inlined, bool& symbolized) {
  if (!result.ok()) {
    const std::string& why = result.error().message;
    if (std::find(notes_.begin(), notes_.end(), why) == notes_.end()) {
      if (notes_.size() < kMaxNotes) notes_.push_back(why);
      else ++unsymbolized_;
    }
    return;
  }
  const symbols::AddressInfo& where = result->where;
  source = where.source ? where.source->ToString() : "";
  inlined.clear();
  for (const symbols::InlinedFunction& f : where.inlined) inlined.push_back({f.function, f.source.ToString()});
  symbolized = true;
  if (std::find(debuginfo_.begin(), debuginfo_.end(), result->binary) == debuginfo_.end()) {
    debuginfo_.push_back(result->binary);
  }
}

void ReportSymbolizer::AnnotateFrame(Frame& frame, const std::string& release, const std::string& vmlinux_build_id) {
  if (frame.function.empty() || !frame.offset || !frame.source.empty()) return;
  symbols::FrameRef ref;
  ref.function = frame.function;
  ref.offset = *frame.offset;
  ref.size = frame.size;
  ref.module = frame.module;
  ref.build_id = frame.build_id;
  ref.return_address = !frame.is_ip;
  Apply(For(release, vmlinux_build_id).Resolve(ref), frame.source, frame.inlined, frame.symbolized);
}

void ReportSymbolizer::Annotate(CrashReport& report, const std::string& vmlinux_build_id) {
  for (Frame& frame : report.frames) AnnotateFrame(frame, report.kernel_release, vmlinux_build_id);
}

void ReportSymbolizer::Annotate(VmcoreFacts& facts) {
  symbols::Symbolizer& symbolizer = For(facts.osrelease, facts.build_id);
  const uint64_t offset = facts.kernel_offset ? static_cast<uint64_t>(*facts.kernel_offset) : 0;
  for (VmcoreCpu& cpu : facts.cpus) {
    if (!cpu.pc) continue;
    bool symbolized = false;
    Apply(symbolizer.ResolveKernelAddress(*cpu.pc, offset, /*return_address=*/false), cpu.source, cpu.inlined,
          symbolized);
  }
}

std::vector<std::string> ReportSymbolizer::TakeDebuginfo() { return std::exchange(debuginfo_, {}); }

std::vector<std::string> ReportSymbolizer::TakeNotes() {
  std::vector<std::string> notes = std::exchange(notes_, {});
  if (unsymbolized_ > 0) {
    notes.push_back("... and " + std::to_string(unsymbolized_) + " more frames left unsymbolized for other reasons");
  }
  unsymbolized_ = 0;
  return notes;
}

}  // namespace ktriage
