// AnalyzeLog: the whole text pipeline for one input: lines -> reports -> titles and signatures.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/ingest/line_reader.h"
#include "analyzer/report/crash_report.h"
#include "base/result.h"

namespace ktriage {

// Facts about the machine gathered from the whole log, not from one report.
struct SystemInfo {
  std::string kernel_release;   // from "Linux version ..." or a report's CPU: line
  std::string kernel_version;   // the full "Linux version ..." line
  std::string hardware;         // "Hardware name: ..." / DMI line
  std::string command_line;     // "Command line: ..."
  std::string host;             // syslog/journal host
  std::optional<double> first_timestamp;
  std::optional<double> last_timestamp;
};

struct LogAnalysisOptions {
  // Reports longer than this many lines are cut (and marked corrupted: "report cut at N lines").
  size_t max_report_lines = 2000;
};

struct LogAnalysis {
  LogFormat format = LogFormat::kPlain;
  std::string compression;
  SystemInfo system;
  std::vector<CrashReport> reports;
  LineReaderStats stats;
};

// Called for each report as soon as it is complete, so that callers can stream (batch triage).
using ReportSink = std::function<void(CrashReport&&)>;
// Called for every line, before the report it may belong to is complete (the rule engine scans
// each line once this way).
using LineSink = std::function<void(const LogLine&)>;

// Reads `source` to the end. Reports go to `sink` when given, otherwise into the result.
// A read error mid-way still returns what was parsed; `error` then carries the reason.
struct LogAnalysisResult {
  LogAnalysis analysis;
  std::optional<Error> error;
};
// Compiles the report catalog once; then analyses any number of inputs, from any number of
// threads (Analyze is const and keeps no state between calls).
class LogAnalyzer {
 public:
  static Result<std::shared_ptr<const LogAnalyzer>> Create(const LogAnalysisOptions& options = {});
  ~LogAnalyzer();
  LogAnalysisResult Analyze(InputSource& source, const ReportSink& sink = nullptr,
                            const LineSink& line_sink = nullptr) const;

 private:
  struct Impl;
  explicit LogAnalyzer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Convenience for one input: builds a LogAnalyzer and runs it.
LogAnalysisResult AnalyzeLog(InputSource& source, const LogAnalysisOptions& options = {},
                             const ReportSink& sink = nullptr);

}  // namespace ktriage
