// ReportSegmenter: cuts a stream of log lines into the raw lines of each report, keeping CPUs
// that print at once apart (exactly with printk caller ids, heuristically without).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/ingest/log_line.h"
#include "analyzer/report/crash_report.h"
#include "analyzer/report/report_catalog.h"

namespace ktriage {

struct ReportLine {
  std::string text;
  uint64_t number = 0;
  std::optional<double> timestamp;
  bool unreliable_frame = false;  // "? foo+0x1/0x2": kept for the frame list, not for titles
  // The line parsed as a stack frame, once, for ParseReportFields too (a pointer: most lines are
  // none, and an open report of thousands of lines must not pay a Frame for each).
  std::unique_ptr<Frame> frame;
};

struct RawReport {
  int class_index = -1;
  Caller caller;
  std::vector<ReportLine> lines;
  // Lines [0, title_lines) form the text the title is derived from: syzkaller stops at the start
  // of the next report in the console stream and drops noise such as a trailing panic.
  std::vector<size_t> title_line_indexes;
  bool interleaved = false;
  bool panicked = false;
  std::string panic_message;
  bool cut = false;  // hit the line limit
};

struct SegmenterOptions {
  size_t max_report_lines = 2000;
  // A report in a timestamped log ends when its stream goes quiet for this long.
  double quiet_seconds = 10.0;
  // Without timestamps, a report ends after this many lines that add nothing to it.
  size_t quiet_lines = 200;
  // Reports open at once. Every line is routed among the open reports, so a garbled or hostile
  // log (report headers and no stacks, or thousands of printing tasks) would otherwise cost time
  // quadratic in its length. Real logs interleave a few reports on one console stream and one
  // per printing CPU or task; past a cap, the report fed longest ago is closed.
  size_t max_open_console_reports = 16;  // on one stream without caller ids
  size_t max_open_reports = 1024;        // in all
};

class ReportSegmenter {
 public:
  using Sink = std::function<void(RawReport&&)>;
  ReportSegmenter(std::shared_ptr<const ReportCatalog> catalog, SegmenterOptions options, Sink sink);
  ~ReportSegmenter();

  void Feed(const LogLine& line);
  // Flushes every open report; all reports have reached the sink afterwards.
  void Finish();

 private:
  struct Open;
  // The printk stream a line belongs to: a caller id, or the shared console (with or without
  // timestamps). A value type, because it is computed for every line of every log.
  struct StreamKey {
    uint8_t kind = 0;  // 0: no timestamp, 1: console with timestamps, 2: thread, 3: CPU
    uint32_t id = 0;
    bool operator==(const StreamKey&) const = default;
  };
  static StreamKey KeyOf(const LogLine& line);
  void Close(size_t index, bool went_quiet);
  // Closes the least recently fed reports until a new one for `key` fits the caps.
  void MakeRoom(StreamKey key);
  void Append(Open& r, const LogLine& line, bool is_start);
  bool AttachPanic(const LogLine& line, StreamKey key);
  size_t Route(const LogLine& line, StreamKey key);
  // Reports reach the sink in the order they started (not the order they ended), so that the
  // output is in log order even when CPUs interleave; a finished report waits for earlier ones.
  void Emit(RawReport&& raw);
  void Flush(bool all = false);

  std::shared_ptr<const ReportCatalog> catalog_;
  SegmenterOptions options_;
  Sink sink_;
  std::vector<std::unique_ptr<Open>> open_;
  // The last closed report, held back briefly so that a panic printed right after it is attached.
  std::unique_ptr<Open> recent_;
  std::map<uint64_t, RawReport> finished_;  // by first line number
  uint64_t recent_closed_at_line_ = 0;
};

}  // namespace ktriage
