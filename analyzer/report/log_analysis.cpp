// The text pipeline: LineReader -> ReportSegmenter -> TitleExtractor + ParseReportFields -> signature.
#include "analyzer/report/log_analysis.h"

#include <re2/re2.h>

#include <algorithm>

#include "analyzer/report/machinery_frames.h"
#include "analyzer/report/report_catalog.h"
#include "analyzer/report/report_catalog_internal.h"
#include "analyzer/report/report_fields.h"
#include "analyzer/report/report_segmenter.h"
#include "analyzer/report/signature.h"
#include "analyzer/report/title_extractor.h"
#include "base/text.h"

namespace ktriage {
namespace {

// A tracing tool's stack ("ftrace stack", "perf callchain", "bpftrace stack") is named after its
// first frame that is not tracing machinery: the traced function, wherever the tool and kernel
// put the probe and however many handler frames they print above it.
void TitleTracingToolStack(CrashReport& r) {
  for (const Frame& f : r.frames) {
    if (!f.reliable || IsMachineryFrame(f.function)) continue;
    r.guilty_frame = f.function;
    r.title += " in " + f.function;
    return;
  }
  r.title += " in corrupted";
  if (r.corrupted_reason.empty()) r.corrupted_reason = "no frame in the stack but tracing machinery";
  r.corrupted = true;
}

void NoteSystemFacts(const LogLine& line, SystemInfo& sys) {
  if (line.timestamp) {
    if (!sys.first_timestamp) sys.first_timestamp = line.timestamp;
    sys.last_timestamp = line.timestamp;
  }
  if (sys.host.empty() && !line.host.empty()) sys.host = std::string(line.host);
  if (!line.kernel) return;
  std::string_view t = line.text;
  // Cheap first-byte filter: these facts are rare, the lines are many.
  if (t.empty() || (t[0] != 'L' && t[0] != 'D' && t[0] != 'H' && t[0] != 'C' && t[0] != 'K')) return;
  std::string_view s = t;
  if (ConsumePrefix(s, "Linux version ")) {
    sys.kernel_version = std::string(TrimRight(t));
    size_t sp = s.find(' ');
    sys.kernel_release = std::string(s.substr(0, sp));
  } else if (ConsumePrefix(s, "DMI: ") || ConsumePrefix(s, "Hardware name: ")) {
    if (sys.hardware.empty()) sys.hardware = std::string(TrimRight(s));
  } else if (ConsumePrefix(s, "Command line: ") || ConsumePrefix(s, "Kernel command line: ")) {
    if (sys.command_line.empty()) sys.command_line = std::string(TrimRight(s));
  }
}

}  // namespace

struct ReportBuilder {
  std::shared_ptr<const ReportCatalog> catalog;
  TitleExtractor titles;

  explicit ReportBuilder(std::shared_ptr<const ReportCatalog> c) : catalog(c), titles(c) {}

  CrashReport Build(RawReport&& raw, const SystemInfo& sys, TitleCache* cache) const {
    CrashReport r;
    r.caller = raw.caller;
    std::string title_text;
    for (size_t i : raw.title_line_indexes) {
      title_text += raw.lines[i].text;
      title_text += '\n';
    }
    std::vector<std::optional<Frame>> frames;
    frames.reserve(raw.lines.size());
    for (auto& l : raw.lines) {
      if (l.timestamp) {
        if (!r.time_start) r.time_start = l.timestamp;
        r.time_end = l.timestamp;
      }
      r.text.push_back(std::move(l.text));
      frames.push_back(l.frame ? std::optional<Frame>(std::move(*l.frame)) : std::nullopt);
    }
    if (!raw.lines.empty()) {
      r.line_start = raw.lines.front().number;
      r.line_end = raw.lines.back().number;
    }
    TitleResult t = titles.Extract(raw.class_index, title_text, cache);
    r.title = std::move(t.title);
    r.kind = t.kind;
    r.syzkaller_class = !catalog->cls(raw.class_index).source.fleet_only;
    r.guilty_frame = std::move(t.guilty_frame);
    r.corrupted_reason = std::move(t.corrupted_reason);
    if (raw.cut && r.corrupted_reason.empty()) r.corrupted_reason = "report cut at its line limit";
    r.corrupted = !r.corrupted_reason.empty();
    r.interleaved = raw.interleaved;
    r.panicked = raw.panicked;
    r.panic_message = std::move(raw.panic_message);
    if (r.kind == ReportKind::kPanic && !r.panicked) {
      r.panicked = true;
      if (!r.text.empty()) {
        std::string_view first = r.text.front();
        size_t at = first.find("not syncing: ");
        if (at != std::string_view::npos) r.panic_message = std::string(Trim(first.substr(at + 13)));
      }
    }
    ParseReportFields(r, std::move(frames));
    if (r.kind == ReportKind::kFtraceStack) TitleTracingToolStack(r);
    if (r.kernel_release.empty()) r.kernel_release = sys.kernel_release;
    if (r.hardware.empty()) r.hardware = sys.hardware;
    r.signature = ComputeSignature(r, &catalog->generic_frames(), cache);
    return r;
  }
};

struct LogAnalyzer::Impl {
  LogAnalysisOptions options;
  std::shared_ptr<const ReportCatalog> catalog;
  std::unique_ptr<ReportBuilder> builder;
};

LogAnalyzer::LogAnalyzer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogAnalyzer::~LogAnalyzer() = default;

Result<std::shared_ptr<const LogAnalyzer>> LogAnalyzer::Create(const LogAnalysisOptions& options) {
  auto catalog = ReportCatalog::Create();
  if (!catalog) return catalog.error();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->catalog = *catalog;
  impl->builder = std::make_unique<ReportBuilder>(impl->catalog);
  return std::shared_ptr<const LogAnalyzer>(new LogAnalyzer(std::move(impl)));
}

LogAnalysisResult LogAnalyzer::Analyze(InputSource& source, const ReportSink& sink, const LineSink& line_sink) const {
  LogAnalysisResult result;
  LogAnalysis& a = result.analysis;
  a.compression = std::string(source.compression());
  SegmenterOptions seg;
  seg.max_report_lines = impl_->options.max_report_lines;
  const ReportBuilder& builder = *impl_->builder;
  TitleCache cache;
  ReportSegmenter segmenter(impl_->catalog, seg, [&](RawReport&& raw) {
    CrashReport r = builder.Build(std::move(raw), a.system, &cache);
    if (sink) sink(std::move(r));
    else a.reports.push_back(std::move(r));
  });
  LineReader reader(source);
  LogLine line;
  while (true) {
    auto next = reader.Next(line);
    if (!next) {
      result.error = next.error();
      break;
    }
    if (!*next) break;
    NoteSystemFacts(line, a.system);
    if (line_sink) line_sink(line);
    segmenter.Feed(line);
  }
  segmenter.Finish();
  std::stable_sort(a.reports.begin(), a.reports.end(),
                   [](const CrashReport& x, const CrashReport& y) { return x.line_start < y.line_start; });
  a.stats = reader.stats();
  a.format = reader.dominant_format();
  return result;
}

LogAnalysisResult AnalyzeLog(InputSource& source, const LogAnalysisOptions& options, const ReportSink& sink) {
  auto analyzer = LogAnalyzer::Create(options);
  if (!analyzer) {
    LogAnalysisResult r;
    r.error = analyzer.error();
    return r;
  }
  return (*analyzer)->Analyze(source, sink);
}

}  // namespace ktriage
