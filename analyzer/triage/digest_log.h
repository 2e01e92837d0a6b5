// DigestLog: what triage keeps of one input's reports and findings (signature, title, lines...),
// in the order they came: in memory up to a limit, then in an unlinked temp file, so that an input
// of millions of reports costs no more memory than one of a hundred. The reducer reads them back.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analyzer/report/crash_report.h"
#include "base/result.h"
#include "base/spill_buffer.h"

namespace ktriage::triage {

struct ReportDigest {
  std::string signature;
  std::string title;
  std::string kind;
  std::string host;
  uint64_t line = 0;
  uint64_t line_end = 0;
  std::shared_ptr<CrashReport> report;  // an example kept for --html (DigestLog::Example), else null
};

struct FindingDigest {
  std::string rule;
  std::string title;
  std::string severity;
  uint64_t line = 0;                 // first evidence line (0: none)
  std::optional<size_t> report;      // index into the input's reports
  std::vector<uint64_t> evidence;    // every evidence line
};

class DigestLog {
 public:
  DigestLog() = default;
  // `keep_examples`: keep the reports a summary may show as examples (the first of each
  // signature, those the first finding of each rule is about), each cut to `example_lines`.
  DigestLog(std::string temp_dir, size_t memory_limit, bool keep_examples, size_t example_lines);
  DigestLog(DigestLog&&) = default;
  DigestLog& operator=(DigestLog&&) = default;

  // `report`: the whole report, for an example (ignored unless examples are kept).
  void AddReport(ReportDigest digest, const CrashReport* report = nullptr);
  void AddFinding(FindingDigest digest);
  size_t reports() const { return reports_; }
  size_t findings() const { return findings_; }

  // In the order they were added; `digest.report` is the kept example, if any.
  Status ForEachReport(const std::function<void(size_t index, ReportDigest&& digest)>& f) const;
  Status ForEachFinding(const std::function<void(FindingDigest&& digest)>& f) const;
  std::shared_ptr<CrashReport> Example(size_t report) const;
  // Why the temp file could not be used (everything stayed in memory), "" when it could.
  std::string error() const;

 private:
  // Reports that a later finding may name: their examples are kept this long, then dropped unless
  // chosen (findings come at most rules::ScannerOptions::max_pending_reports reports later).
  static constexpr size_t kRecentExamples = 512;

  SpillBuffer report_log_, finding_log_;
  size_t reports_ = 0, findings_ = 0;
  bool keep_examples_ = false;
  size_t example_lines_ = 0;
  std::map<size_t, std::shared_ptr<CrashReport>> examples_;  // chosen
  std::map<size_t, std::shared_ptr<CrashReport>> recent_;    // the latest reports, in case
  std::set<std::string> signatures_with_example_, rules_with_example_;
};

}  // namespace ktriage::triage
