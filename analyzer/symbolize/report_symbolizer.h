// ReportSymbolizer: adds source lines and inline chains from debuginfo to the frames of crash
// reports and to a dump's CPUs, choosing the debuginfo per kernel release (one Symbolizer each).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/report/crash_report.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "symbols/symbolizer.h"

namespace ktriage {

struct ReportSymbolizerOptions {
  std::string vmlinux;  // --vmlinux: used for every report, whatever release it prints
  std::string release;  // -r: overrides the release the reports print
  symbols::SearchPaths search;
};

class ReportSymbolizer {
 public:
  explicit ReportSymbolizer(ReportSymbolizerOptions options);
  ~ReportSymbolizer();

  // Where it looks for debuginfo: what a dump's deep analyses search their vmlinux with.
  const ReportSymbolizerOptions& options() const { return options_; }

  // Fills `source`, `inlined` and `symbolized` of every frame it can resolve; frames already
  // symbolized by the log and frames without a function name are left alone. `vmlinux_build_id`:
  // a dump's BUILD-ID, when the report comes from a dump's log.
  void Annotate(CrashReport& report, const std::string& vmlinux_build_id = "");
  // One frame, for a kernel of `release` ("" when unknown).
  void AnnotateFrame(Frame& frame, const std::string& release, const std::string& vmlinux_build_id = "");
  // A dump's CPUs: vmlinux by the dump's BUILD-ID (else its release), PCs less KERNELOFFSET.
  void Annotate(VmcoreFacts& facts);

  // Since the last call (so that each input gets its own): the debuginfo files that answered,
  // and why frames stayed unsymbolized, one line per cause, in first-seen order.
  std::vector<std::string> TakeDebuginfo();
  std::vector<std::string> TakeNotes();

 private:
  symbols::Symbolizer& For(const std::string& release, const std::string& build_id);
  void Apply(const Result<symbols::Symbolized>& result, std::string& source, std::vector<InlinedCall>& inlined,
             bool& symbolized);
  void NoteUnsymbolized(const std::string& why);
  static bool Wanted(const Frame& frame);
  static symbols::FrameRef RefOf(const Frame& frame);

  ReportSymbolizerOptions options_;
  std::map<std::string, std::unique_ptr<symbols::Symbolizer>> symbolizers_;  // by release + build-id
  std::vector<std::string> debuginfo_;
  std::vector<std::string> notes_;
  size_t unsymbolized_ = 0;  // frames whose cause is not among notes_ (beyond the cap)
};

}  // namespace ktriage
