// Stable names for LogFormat: they appear in the JSON output, so never rename one.
#include "analyzer/ingest/log_line.h"

namespace ktriage {

const char* LogFormatName(LogFormat f) {
  switch (f) {
    case LogFormat::kPlain: return "plain";
    case LogFormat::kDmesg: return "dmesg";
    case LogFormat::kDmesgHuman: return "dmesg-human";
    case LogFormat::kDmesgDecoded: return "dmesg-decoded";
    case LogFormat::kKmsg: return "kmsg";
    case LogFormat::kSyslog: return "syslog";
    case LogFormat::kSyslog5424: return "syslog-rfc5424";
    case LogFormat::kJournalShort: return "journal-short";
    case LogFormat::kJournalIso: return "journal-short-iso";
    case LogFormat::kJournalPrecise: return "journal-short-precise";
    case LogFormat::kJournalMonotonic: return "journal-short-monotonic";
    case LogFormat::kJournalJson: return "journal-json";
  }
  return "unknown";
}

}  // namespace ktriage
