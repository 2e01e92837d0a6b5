// LogLine: one kernel-log line after its transport (dmesg, syslog, journal, kmsg, console) is peeled off.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/printk_caller.h"

namespace ktriage {

// The transport a line arrived in. Detected per line; a file may mix several.
enum class LogFormat : uint8_t {
  kPlain,             // bare message text, no prefix at all
  kDmesg,             // "[   12.345678] text", optionally with a caller id "[ T123]"
  kDmesgHuman,        // dmesg -T: "[Sat Nov 22 10:00:00 2026] text"
  kDmesgDecoded,      // dmesg -x: "kern  :warn  : [   12.3] text"
  kKmsg,              // /dev/kmsg: "6,1234,5678,-;text" (+ " KEY=value" continuation lines)
  kSyslog,            // RFC 3164: "Nov 22 10:00:00 host kernel: [ 1.2] text"
  kSyslog5424,        // RFC 5424: "<4>1 2026-11-22T10:00:00Z host kernel - - - text"
  kJournalShort,      // journalctl -o short (same shape as RFC 3164)
  kJournalIso,        // journalctl -o short-iso
  kJournalPrecise,    // journalctl -o short-precise
  kJournalMonotonic,  // journalctl -o short-monotonic: "[   12.345678] host kernel: text"
  kJournalJson,       // journalctl -o json: one JSON object per line
};

const char* LogFormatName(LogFormat f);

struct LogLine {
  // The kernel's message text with every transport prefix removed. It views a buffer owned by
  // the decoder and is valid only until the next line is decoded.
  std::string_view text;
  uint64_t number = 0;                // 1-based line number in the (decompressed) input
  std::optional<double> timestamp;    // seconds since boot, as printk printed it
  Caller caller;
  int level = -1;                     // printk level 0..7, -1 when not printed
  LogFormat format = LogFormat::kPlain;
  // False for lines that are not kernel messages: other programs in a syslog or journal,
  // kmsg " KEY=value" dictionary lines, shell noise on a console. They are never part of a report.
  bool kernel = true;
  std::string_view host;              // syslog/journal host name, when the format carries one
};

}  // namespace ktriage
