// LineDecoder: recognises the transport of one raw line and peels it off into a LogLine.
#pragma once

#include <cstdint>
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
  // Same, for a caller that has already scanned the line (LineReader): `has_control_bytes`
  // false promises that `raw` has no byte below 0x20 other than '\t', which skips a rescan.
  LogLine Decode(std::string_view raw, uint64_t number, bool has_control_bytes);

 private:
  // One parser per transport. Each returns false when the line is not of its shape (Decode then
  // starts from a fresh LogLine); on success `text` is the message with the prefix peeled off.
  bool DecodeBracketed(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeJournalMonotonic(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodePriority(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeRfc5424(std::string_view s, int level, LogLine& line, std::string_view& text);
  bool DecodeRfc3164(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeIsoSyslog(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeSyslogBody(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeKmsg(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeKmsgContinuation(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeDmesgDecoded(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeJournalMarker(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeGluedPrompt(std::string_view s, LogLine& line, std::string_view& text);
  bool DecodeJournalJson(std::string_view s, LogLine& line, std::string_view& text);

  std::string scratch_;
  bool last_was_kmsg_ = false;
  // Added for the formats below; all per input, so one decoder per input.
  std::string scratch_next_;           // console clean-up is built here, then swapped in
  std::string json_message_;           // journal JSON MESSAGE (string or byte array)
  std::string json_host_;              // journal JSON _HOSTNAME
  uint64_t timestamped_lines_ = 0;     // dmesg-style kernel lines with a timestamp so far
  uint64_t journal_monotonic_lines_ = 0;  // "[ ts] host kernel: " lines so far
  bool seen_journal_marker_ = false;   // "-- Logs begin at ... --": syslog shape is journalctl
};

}  // namespace ktriage
