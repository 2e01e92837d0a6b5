// LineDecoder: recognises the transport of one raw line and peels it off into a LogLine.
#pragma once

#include <string>
#include <string_view>

#include "analyzer/ingest/log_line.h"

namespace ktriage {

// Stateful only where a format needs it (kmsg continuation lines, the year of dmesg -T, console
// captures where most lines carry timestamps); otherwise each line is decoded on its own.
class LineDecoder {
 public:
  LineDecoder();
  // `raw` has no trailing newline. The returned LogLine's views point into `raw` or into the
  // decoder's scratch buffer; both stay valid until the next call.
  LogLine Decode(std::string_view raw, uint64_t number);

 private:
  std::string scratch_;
  bool last_was_kmsg_ = false;
};

}  // namespace ktriage
