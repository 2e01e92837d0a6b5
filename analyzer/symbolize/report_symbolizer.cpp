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

void ReportSymbolizer::NoteUnsymbolized(const std::string& why) {
  if (std::find(notes_.begin(), notes_.end(), why) == notes_.end()) {
    if (notes_.size() < kMaxNotes) notes_.push_back(why);
    else ++unsymbolized_;
  }
}

void ReportSymbolizer::Apply(const Result<symbols::Symbolized>& result, std::string& source,
                             std::vector<InlinedCall>& inlined, bool& symbolized) {
  if (!result.ok()) {
    NoteUnsymbolized(result.error().message);
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

bool ReportSymbolizer::Wanted(const Frame& frame) {
  return !frame.function.empty() && frame.offset && frame.source.empty();
}

symbols::FrameRef ReportSymbolizer::RefOf(const Frame& frame) {
  symbols::FrameRef ref;
  ref.function = frame.function;
  ref.offset = *frame.offset;
  ref.size = frame.size;
  ref.module = frame.module;
  ref.build_id = frame.build_id;
  ref.return_address = !frame.is_ip;
  return ref;
}

void ReportSymbolizer::AnnotateFrame(Frame& frame, const std::string& release, const std::string& vmlinux_build_id) {
  if (!Wanted(frame)) return;
  Apply(For(release, vmlinux_build_id).Resolve(RefOf(frame)), frame.source, frame.inlined, frame.symbolized);
}

void ReportSymbolizer::Annotate(CrashReport& report, const std::string& vmlinux_build_id) {
  symbols::Symbolizer& symbolizer = For(report.kernel_release, vmlinux_build_id);
  // Most logs arrive without debuginfo: a frame whose binary has none gets that binary's reason,
  // as Resolve would give it, without a lookup per frame. Consecutive frames share a binary.
  const Frame* last = nullptr;
  const std::string* unusable = nullptr;
  for (Frame& frame : report.frames) {
    if (!Wanted(frame)) continue;
    if (!last || frame.module != last->module || frame.build_id != last->build_id)
      unusable = symbolizer.Unusable(frame.module, frame.build_id);
    last = &frame;
    if (unusable) {
      NoteUnsymbolized(*unusable);
      continue;
    }
    Apply(symbolizer.Resolve(RefOf(frame)), frame.source, frame.inlined, frame.symbolized);
  }
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
