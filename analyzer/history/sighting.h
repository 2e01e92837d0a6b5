// Sighting and UnitInfo: what the history records of a run: a crash or finding seen in an input,
// and the top-level input (file or archive) it was seen in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "analyzer/report/crash_report.h"

namespace ktriage::history {

// A top-level input: a file named on the command line or found in a directory. The history
// remembers inputs at this grain (an archive is one).
struct UnitInfo {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string hash;  // "" when the history is off
};

struct Sighting {
  bool rule = false;               // a finding (key: rule id) or an unknown crash (key: signature)
  std::string key;
  std::string title;
  std::string detail;              // a finding's severity, a report's kind
  std::string host;                // "" when unknown
  std::string input;               // the input's name (`a.tar.gz!dir/kern.log`)
  uint64_t line = 0;               // first line (report) or first evidence line (finding)
  std::optional<int64_t> time;     // seconds since the epoch: the dump's crash time, else the file's mtime
  bool is_new = false;             // a signature the history had not seen before this run
  // The report (or the report a finding is about), kept only when examples are wanted (--html);
  // its text is cut to kExampleLines.
  std::shared_ptr<CrashReport> report;
};

}  // namespace ktriage::history
