// SymbolizeLog: a kernel log rewritten as the kernel's scripts/decode_stacktrace.sh prints it (or
// one JSON object per frame line), streamed: each line is written as soon as it is read, so that
// memory stays bounded whatever the size of the log (`ktriage symbolize`).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analyzer/ingest/input_source.h"
#include "analyzer/symbolize/report_symbolizer.h"
#include "base/result.h"

namespace ktriage {

struct LogSymbolizeOptions {
  bool json = false;    // one object per frame line (docs/json.md) instead of the rewritten log
  std::string release;  // -r: the release whose debuginfo to use, whatever the log prints
};

struct LogSymbolizeResult {
  // Why frames stayed as printed: each cause once, in first-seen order, a few at most.
  std::vector<std::string> notes;
  std::optional<Error> error;  // a read error; the lines before it were written
};

LogSymbolizeResult SymbolizeLog(InputSource& source, ReportSymbolizer& symbolizer, const LogSymbolizeOptions& options,
                                std::ostream& out);

}  // namespace ktriage
