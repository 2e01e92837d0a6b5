// LineDecoder: per-line transport detection. Dispatches on the first byte so that the common
// dmesg line costs a few comparisons; every parser works on bounds-checked string_views.
#include "analyzer/ingest/line_decoder.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "analyzer/ingest/control_bytes.h"
#include "base/text.h"

namespace ktriage {
namespace {

constexpr char kEsc = '\x1b';
constexpr double kPow10[10] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsUpper(c) || IsLower(c); }

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
bool Contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

void SkipSpaces(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  s.remove_prefix(i);
}

// Consumes exactly `n` digits.
std::optional<unsigned> ConsumeFixedDigits(std::string_view& s, size_t n) {
  if (s.size() < n) return std::nullopt;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit(s[i])) return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  s.remove_prefix(n);
  return v;
}

// Up to 19 digits cannot overflow uint64_t, so no per-digit overflow check (a division) is
// needed on the hot path; longer numbers are not timestamps anyway.
inline std::optional<uint64_t> ConsumeSmallDecimal(std::string_view& s) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && IsDigit(s[i])) {
    if (i == 19) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  s.remove_prefix(i);
  return v;
}

// Fractional digits; only the first 9 matter for a double of seconds (printk prints 6).
double ConsumeFraction(std::string_view& s, bool& any) {
  uint64_t v = 0;
  size_t i = 0;
  while (i < s.size() && IsDigit(s[i])) {
    if (i < 9) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    ++i;
  }
  any = i > 0;
  s.remove_prefix(i);
  return static_cast<double>(v) / kPow10[i < 9 ? i : 9];
}

inline bool ConsumeChar(std::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
}

// "[   12.345678]" -> 12.345678. Pointer-based because it runs for every dmesg line; strtod
// is avoided as locale-dependent and slower.
bool ConsumeBootTimestamp(std::string_view& s, double& ts) {
  const char* p = s.data();
  const char* const e = p + s.size();
  if (p == e || *p != '[') return false;
  ++p;
  while (p < e && *p == ' ') ++p;
  const char* digits = p;
  uint64_t secs = 0;
  // At most 19 digits, so that secs cannot overflow; a longer number is no timestamp.
  while (p < e && IsDigit(*p) && p - digits < 19) secs = secs * 10 + static_cast<uint64_t>(*p++ - '0');
  if (p == digits || p >= e || *p != '.') return false;
  const char* frac_digits = ++p;
  uint64_t frac = 0;
  while (p < e && IsDigit(*p)) {
    if (p - frac_digits < 9) frac = frac * 10 + static_cast<uint64_t>(*p - '0');
    ++p;
  }
  size_t nfrac = static_cast<size_t>(p - frac_digits);
  if (nfrac == 0 || p >= e || *p != ']') return false;
  ts = static_cast<double>(secs) + static_cast<double>(frac) / kPow10[nfrac < 9 ? nfrac : 9];
  s.remove_prefix(static_cast<size_t>(p + 1 - s.data()));
  return true;
}

// printk caller id (CONFIG_PRINTK_CALLER): "[ T123]" or "[    C1]".
inline bool ConsumeCaller(std::string_view& s, Caller& caller) {
  std::string_view t = s;
  if (t.empty() || t[0] != '[') return false;
  t.remove_prefix(1);
  SkipSpaces(t);
  if (t.empty() || (t[0] != 'T' && t[0] != 'C')) return false;
  Caller::Kind kind = t[0] == 'T' ? Caller::Kind::kThread : Caller::Kind::kCpu;
  t.remove_prefix(1);
  auto id = ConsumeSmallDecimal(t);
  if (!id || *id > std::numeric_limits<uint32_t>::max() || t.empty() || t[0] != ']') return false;
  t.remove_prefix(1);
  caller = Caller{kind, static_cast<uint32_t>(*id)};
  s = t;
  return true;
}

// Consumes one of the three-letter `names`. Syslog and dmesg -T use the English abbreviations
// of months and weekdays regardless of locale.
template <size_t N>
bool ConsumeAbbreviation(std::string_view& s, const std::string_view (&names)[N]) {
  if (s.size() < 3) return false;
  for (std::string_view n : names) {
    if (s.substr(0, 3) == n) {
      s.remove_prefix(3);
      return true;
    }
  }
  return false;
}

bool ConsumeMonth(std::string_view& s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return ConsumeAbbreviation(s, kMonths);
}

bool ConsumeWeekday(std::string_view& s) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  return ConsumeAbbreviation(s, kDays);
}

// "HH:MM:SS"
bool ConsumeClock(std::string_view& s) {
  std::string_view t = s;
  if (!ConsumeFixedDigits(t, 2) || !ConsumePrefix(t, ":") || !ConsumeFixedDigits(t, 2) ||
      !ConsumePrefix(t, ":") || !ConsumeFixedDigits(t, 2))
    return false;
  s = t;
  return true;
}

// "Nov 22 " or "Nov  2 " (strftime %e pads the day with a space).
bool ConsumeMonthDay(std::string_view& s) {
  std::string_view t = s;
  if (!ConsumeMonth(t) || !ConsumeChar(t, ' ')) return false;
  if (ConsumeChar(t, ' ')) {
    if (!ConsumeFixedDigits(t, 1)) return false;
  } else if (!ConsumeFixedDigits(t, 2) && !ConsumeFixedDigits(t, 1)) {
    return false;
  }
  if (!ConsumeChar(t, ' ')) return false;
  s = t;
  return true;
}

// dmesg -T: "[Sat Nov 22 10:00:00 2026]".
bool ConsumeHumanTimestamp(std::string_view& s) {
  std::string_view t = s;
  if (!ConsumePrefix(t, "[") || !ConsumeWeekday(t) || !ConsumeChar(t, ' ') ||
      !ConsumeMonthDay(t) || !ConsumeClock(t) || !ConsumeChar(t, ' ') ||
      !ConsumeFixedDigits(t, 4) || !ConsumePrefix(t, "]"))
    return false;
  s = t;
  return true;
}

enum class IsoZone { kNone, kColon, kNoColon };

// "2026-11-22T10:00:00[.123456](Z|+00:00|+0000)". Returns the zone style, which tells rsyslog's
// RFC 3339 (colon) from journalctl's strftime %z (no colon).
std::optional<IsoZone> ConsumeIsoTimestamp(std::string_view& s) {
  std::string_view t = s;
  if (!ConsumeFixedDigits(t, 4) || !ConsumePrefix(t, "-") || !ConsumeFixedDigits(t, 2) ||
      !ConsumePrefix(t, "-") || !ConsumeFixedDigits(t, 2) || !ConsumePrefix(t, "T") ||
      !ConsumeClock(t))
    return std::nullopt;
  if (ConsumePrefix(t, ".") || ConsumePrefix(t, ",")) {
    bool any = false;
    ConsumeFraction(t, any);
    if (!any) return std::nullopt;
  }
  IsoZone zone = IsoZone::kNone;
  if (ConsumePrefix(t, "Z")) {
    zone = IsoZone::kColon;
  } else if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
    t.remove_prefix(1);
    if (!ConsumeFixedDigits(t, 2)) return std::nullopt;
    zone = ConsumePrefix(t, ":") ? IsoZone::kColon : IsoZone::kNoColon;
    if (!ConsumeFixedDigits(t, 2)) return std::nullopt;
  }
  s = t;
  return zone;
}

// A syslog program tag: "kernel:", "sshd[123]:", "/usr/libexec/gdm-x-session[1115]:".
bool ConsumeTag(std::string_view& s, std::string_view& tag) {
  size_t i = 0;
  while (i < s.size() && s[i] != ':' && s[i] != '[' && s[i] != ' ') ++i;
  if (i == 0 || i >= s.size()) return false;
  tag = s.substr(0, i);
  if (s[i] == '[') {
    size_t close = s.find(']', i);
    if (close == std::string_view::npos || close - i > 32) return false;
    i = close + 1;
  }
  if (i >= s.size() || s[i] != ':') return false;
  ++i;
  if (i < s.size() && s[i] != ' ') return false;
  if (i < s.size()) ++i;
  s.remove_prefix(i);
  return true;
}

// "host tag: message" after a syslog/journal timestamp. The host is absent in some
// configurations ("Nov 22 10:00:00 kernel: ..."), recognised by the tag's colon.
struct SyslogBody {
  std::string_view host;
  std::string_view tag;
  std::string_view message;
  bool has_tag = false;
};

std::optional<SyslogBody> ParseSyslogBody(std::string_view s) {
  SyslogBody b;
  std::string_view t = s;
  if (ConsumeTag(t, b.tag)) {
    b.has_tag = true;
    b.message = t;
    return b;
  }
  size_t sp = s.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return std::nullopt;
  b.host = s.substr(0, sp);
  t = s.substr(sp + 1);
  b.message = t;
  if (ConsumeTag(t, b.tag)) {
    b.has_tag = true;
    b.message = t;
  }
  return b;
}

// Kernel text inside another transport may still carry printk's own "[ ts][ T1] " prefix.
void PeelDmesgPrefix(std::string_view& text, LogLine& line) {
  double ts = 0;
  if (ConsumeBootTimestamp(text, ts)) {
    line.timestamp = ts;
    ConsumeCaller(text, line.caller);
    ConsumeChar(text, ' ');
  }
}

// Decoded dmesg -x names. util-linux pads both to 6 columns: "kern  :warn  : ".
int LevelFromName(std::string_view n) {
  static constexpr std::string_view kLevels[] = {"emerg",  "alert", "crit", "err",
                                                 "warn",   "notice", "info", "debug"};
  for (int i = 0; i < 8; ++i)
    if (n == kLevels[i]) return i;
  return -1;
}

bool IsFacilityName(std::string_view n) {
  static constexpr std::string_view kFacilities[] = {
      "kern", "user", "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
      "uucp", "cron", "authpriv", "ftp",  "res0",   "res1",   "res2",   "res3",
      "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
  for (std::string_view f : kFacilities)
    if (n == f) return true;
  return false;
}

std::string_view ConsumeWordThenPad(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && (IsLower(s[i]) || IsDigit(s[i]))) ++i;
  std::string_view word = s.substr(0, i);
  while (i < s.size() && s[i] == ' ') ++i;
  s.remove_prefix(i);
  return word;
}

// True when the line has bytes that only a terminal would interpret.
bool NeedsConsoleCleanup(std::string_view s) {
  return std::memchr(s.data(), kEsc, s.size()) != nullptr ||
         std::memchr(s.data(), '\b', s.size()) != nullptr ||
         std::memchr(s.data(), '\r', s.size()) != nullptr;
}

// Removes what a terminal would not show: ANSI CSI ("ESC [ params final"), OSC/DCS/PM/APC
// strings (up to BEL or ESC \), two-byte escapes ("ESC 7", "ESC (B"), carriage returns, and
// backspaces together with the character they erase.
void CleanConsole(std::string_view s, std::string& out) {
  out.clear();
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    char c = s[i];
    if (c == '\r') {
      ++i;
    } else if (c == '\b') {
      // Erase one code point, not one byte, so that UTF-8 stays whole.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty()) out.pop_back();
      ++i;
    } else if (c != kEsc) {
      out.push_back(c);
      ++i;
    } else if (i + 1 >= n) {
      ++i;
    } else if (s[i + 1] == '[') {  // CSI: parameters and intermediates, then one final byte
      i += 2;
      while (i < n && static_cast<unsigned char>(s[i]) >= 0x20 &&
             static_cast<unsigned char>(s[i]) <= 0x3F)
        ++i;
      if (i < n && static_cast<unsigned char>(s[i]) >= 0x40 && static_cast<unsigned char>(s[i]) <= 0x7E)
        ++i;
    } else if (s[i + 1] == ']' || s[i + 1] == 'P' || s[i + 1] == 'X' || s[i + 1] == '^' ||
               s[i + 1] == '_') {  // string commands, terminated by BEL or ST (ESC \)
      i += 2;
      while (i < n) {
        if (s[i] == '\a') { ++i; break; }
        if (s[i] == kEsc && i + 1 < n && s[i + 1] == '\\') { i += 2; break; }
        ++i;
      }
    } else {  // ESC, intermediates (0x20-0x2F), final byte: "ESC 7", "ESC ( B", "ESC c"
      i += 1;
      while (i < n && static_cast<unsigned char>(s[i]) >= 0x20 && static_cast<unsigned char>(s[i]) <= 0x2F)
        ++i;
      if (i < n) ++i;
    }
  }
}

// Console capture heuristic. A line with no transport prefix is normally a kernel line (plain
// logs, continuation lines). Only once the input has shown itself to be a timestamped
// console/dmesg (more than kConsoleEvidence timestamped kernel lines) is a prefix-less line
// called noise, and only when it looks like an interactive session or init's status output.
constexpr uint64_t kConsoleEvidence = 8;

bool LooksLikeShellNoise(std::string_view text) {
  return StartsWith(text, "root@") || StartsWith(text, "$ ") || StartsWith(text, "# ") ||
         Contains(text, "~#") || Contains(text, "login:") || Contains(text, "Password:") ||
         StartsWith(text, "[  OK  ]") || StartsWith(text, "[FAILED]") ||
         StartsWith(text, "[ ok ]") || StartsWith(text, "[....]");
}

// What may stand before a kernel line that the console printed on the same row: a login or
// password prompt, or a shell prompt ("root@host:~# ").
bool IsGluedPrompt(std::string_view prefix) {
  if (EndsWith(prefix, "login: ") || EndsWith(prefix, "assword: ")) return true;
  if (EndsWith(prefix, "# ") || EndsWith(prefix, "$ "))
    return prefix.size() == 2 || Contains(prefix, "@");
  return false;
}

// Limit for the glued-prompt search so that a huge prefix-less line costs O(limit).
constexpr size_t kMaxPromptBytes = 256;

bool IsHostChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '.' || c == '-' || c == '_';
}

uint64_t JsonUnsigned(const nlohmann::json& v, bool& ok) {
  ok = false;
  if (v.is_number_unsigned()) {
    ok = true;
    return v.get<uint64_t>();
  }
  if (v.is_number_integer()) {
    int64_t x = v.get<int64_t>();
    ok = x >= 0;
    return ok ? static_cast<uint64_t>(x) : 0;
  }
  if (v.is_string()) {
    auto p = ParseDecimal(v.get_ref<const std::string&>());
    ok = p.has_value();
    return p.value_or(0);
  }
  return 0;
}

const nlohmann::json* JsonField(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

bool JsonStringIs(const nlohmann::json& obj, const char* key, std::string_view want) {
  const nlohmann::json* v = JsonField(obj, key);
  return v != nullptr && v->is_string() && v->get_ref<const std::string&>() == want;
}

}  // namespace

LineDecoder::LineDecoder() = default;

LogLine LineDecoder::Decode(std::string_view raw, uint64_t number) {
  return Decode(raw, number, HasControlBytes(raw.data(), raw.size()));
}

LogLine LineDecoder::Decode(std::string_view raw, uint64_t number, bool has_control_bytes) {
  std::string_view s = raw;
  if (has_control_bytes && NeedsConsoleCleanup(s)) {
    // Built in a second buffer: `raw` may itself view scratch_ (the previous result).
    CleanConsole(s, scratch_next_);
    scratch_.swap(scratch_next_);
    s = scratch_;
  }

  LogLine line;
  const bool after_kmsg = last_was_kmsg_;
  last_was_kmsg_ = false;

  std::string_view text = s;
  bool decoded = false;
  if (!s.empty()) {
    char c = s[0];
    if (c == '[') {
      decoded = DecodeBracketed(s, line, text);
    } else if (c == '<') {
      decoded = DecodePriority(s, line, text);
    } else if (c == '{') {
      decoded = DecodeJournalJson(s, line, text);
    } else if (IsDigit(c)) {
      decoded = DecodeKmsg(s, line, text) || DecodeIsoSyslog(s, line, text);
    } else if (IsUpper(c)) {
      decoded = DecodeRfc3164(s, line, text);
    } else if (IsLower(c)) {
      decoded = DecodeDmesgDecoded(s, line, text);
    } else if (c == ' ' && after_kmsg) {
      decoded = DecodeKmsgContinuation(s, line, text);
    } else if (c == '-') {
      decoded = DecodeJournalMarker(s, line, text);
    }
    if (!decoded) decoded = DecodeGluedPrompt(s, line, text);
  }
  if (!decoded) {
    line = LogLine{};
    text = s;
    if (timestamped_lines_ > kConsoleEvidence && LooksLikeShellNoise(text)) line.kernel = false;
  }
  line.text = TrimRight(text);
  line.number = number;

  if (line.format == LogFormat::kKmsg) last_was_kmsg_ = true;
  if (line.kernel && line.timestamp &&
      (line.format == LogFormat::kDmesg || line.format == LogFormat::kDmesgDecoded))
    ++timestamped_lines_;
  if (line.kernel && line.format == LogFormat::kDmesgHuman) ++timestamped_lines_;
  return line;
}

// "[ ts] text", "[ ts][ T1] text", "[ ts] host kernel: text" (journal monotonic),
// "[Sat Nov 22 10:00:00 2026] text".
bool LineDecoder::DecodeBracketed(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view t = s;
  double ts = 0;
  if (ConsumeBootTimestamp(t, ts)) {
    line.timestamp = ts;
    bool has_caller = ConsumeCaller(t, line.caller);
    ConsumeChar(t, ' ');
    if (!has_caller && DecodeJournalMonotonic(t, line, text)) return true;
    line.format = LogFormat::kDmesg;
    text = t;
    return true;
  }
  if (ConsumeHumanTimestamp(t)) {
    ConsumeCaller(t, line.caller);
    ConsumeChar(t, ' ');
    line.format = LogFormat::kDmesgHuman;
    text = t;
    return true;
  }
  return false;
}

// journalctl -o short-monotonic looks like dmesg; it is told apart by "host kernel: " after the
// timestamp. Other programs' lines ("host sshd[1]: ") are only taken as journal once the input
// has shown journal kernel lines or a journalctl "-- ... --" marker, since dmesg text such as
// "usb 1-1: new device" has the same shape.
bool LineDecoder::DecodeJournalMonotonic(std::string_view t, LogLine& line, std::string_view& text) {
  // One pass that finds the end of the first word and rejects it as soon as it cannot be a
  // host name: most dmesg text fails at its first ':' or '/'.
  size_t sp = 0;
  const size_t limit = std::min<size_t>(t.size(), 256);
  while (sp < limit && IsHostChar(t[sp])) ++sp;
  if (sp == 0 || sp >= limit || t[sp] != ' ') return false;
  std::string_view after_host = t.substr(sp + 1);
  bool kernel = StartsWith(after_host, "kernel: ") || after_host == "kernel:";
  if (!kernel && journal_monotonic_lines_ == 0 && !seen_journal_marker_) return false;
  auto body = ParseSyslogBody(t);
  if (!body || !body->has_tag || body->host.empty()) return false;
  line.format = LogFormat::kJournalMonotonic;
  line.host = body->host;
  line.kernel = body->tag == "kernel";
  if (line.kernel) ++journal_monotonic_lines_;
  text = body->message;
  return true;
}

// "<6>[ ts] text" (dmesg -r), "<6>text", "<13>Nov 22 ... " (RFC 3164 with PRI),
// "<4>1 2026-... host app procid msgid sd msg" (RFC 5424).
bool LineDecoder::DecodePriority(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view t = s;
  t.remove_prefix(1);
  size_t digits = 0;
  while (digits < t.size() && digits < 4 && IsDigit(t[digits])) ++digits;
  if (digits == 0 || digits > 3 || digits >= t.size() || t[digits] != '>') return false;
  auto prio = ParseDecimal(t.substr(0, digits));
  if (!prio || *prio > 191) return false;
  t.remove_prefix(digits + 1);
  int level = static_cast<int>(*prio & 7);
  bool kern_facility = (*prio >> 3) == 0;

  if (StartsWith(t, "1 ") && DecodeRfc5424(t.substr(2), level, line, text)) return true;
  line = LogLine{};
  if (!t.empty() && IsUpper(t[0]) && DecodeRfc3164(t, line, text)) {
    line.level = level;
    return true;
  }
  line = LogLine{};
  // Kernel records as dmesg -r prints them. Records written to /dev/kmsg by programs carry a
  // non-kernel facility (systemd: <30>); they are not kernel messages.
  line.format = LogFormat::kDmesg;
  line.level = level;
  line.kernel = kern_facility;
  double ts = 0;
  if (ConsumeBootTimestamp(t, ts)) {
    line.timestamp = ts;
    ConsumeCaller(t, line.caller);
    ConsumeChar(t, ' ');
  }
  text = t;
  return true;
}

// RFC 5424 after "<PRI>1 ": "TIMESTAMP HOST APP PROCID MSGID SD [MSG]".
bool LineDecoder::DecodeRfc5424(std::string_view t, int level, LogLine& line,
                                std::string_view& text) {
  std::string_view fields[5];
  for (std::string_view& f : fields) {
    size_t sp = t.find(' ');
    if (sp == 0 || sp == std::string_view::npos) return false;
    f = t.substr(0, sp);
    t.remove_prefix(sp + 1);
  }
  // Structured data: "-" or one or more "[id k="v" ...]" elements; values escape ']' as "\]".
  if (StartsWith(t, "-")) {
    t.remove_prefix(1);
  } else if (StartsWith(t, "[")) {
    while (StartsWith(t, "[")) {
      size_t i = 1;
      bool quoted = false;
      while (i < t.size()) {
        char c = t[i];
        if (quoted && c == '\\') { i += 2; continue; }
        if (c == '"') quoted = !quoted;
        else if (c == ']' && !quoted) break;
        ++i;
      }
      if (i >= t.size()) return false;
      t.remove_prefix(i + 1);
    }
  } else {
    return false;
  }
  if (!t.empty() && !ConsumeChar(t, ' ')) return false;
  ConsumePrefix(t, "\xEF\xBB\xBF");  // the optional BOM that marks a UTF-8 MSG
  line.format = LogFormat::kSyslog5424;
  line.level = level;
  if (fields[1] != "-") line.host = fields[1];
  line.kernel = fields[2] == "kernel";
  if (line.kernel) PeelDmesgPrefix(t, line);
  text = t;
  return true;
}

// RFC 3164 and its journalctl relatives: "Nov 22 10:00:00 host kernel: [ ts] text",
// "Nov 22 10:00:00.123456 host kernel: text" (short-precise).
bool LineDecoder::DecodeRfc3164(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view t = s;
  if (!ConsumeMonthDay(t) || !ConsumeClock(t)) return false;
  bool precise = false;
  if (ConsumePrefix(t, ".")) {
    bool any = false;
    ConsumeFraction(t, any);
    if (!any) return false;
    precise = true;
  }
  if (!ConsumeChar(t, ' ')) return false;
  if (precise) {
    line.format = LogFormat::kJournalPrecise;
  } else {
    // journalctl -o short prints exactly the RFC 3164 shape; only its "-- ... --" marker lines
    // tell it apart.
    line.format = seen_journal_marker_ ? LogFormat::kJournalShort : LogFormat::kSyslog;
  }
  return DecodeSyslogBody(t, line, text);
}

// rsyslog's RFC 3339 form ("2026-11-22T10:00:00.123456+00:00 host kernel: text") and
// journalctl -o short-iso ("2026-11-22T10:00:00+0000 host kernel: text").
bool LineDecoder::DecodeIsoSyslog(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view t = s;
  auto zone = ConsumeIsoTimestamp(t);
  if (!zone || !ConsumeChar(t, ' ')) return false;
  line.format = *zone == IsoZone::kNoColon ? LogFormat::kJournalIso : LogFormat::kSyslog;
  return DecodeSyslogBody(t, line, text);
}

bool LineDecoder::DecodeSyslogBody(std::string_view t, LogLine& line, std::string_view& text) {
  auto body = ParseSyslogBody(t);
  if (!body) {
    // A timestamp and nothing that parses after it: still syslog, not a kernel line.
    line.kernel = false;
    text = t;
    return true;
  }
  line.host = body->host;
  line.kernel = body->has_tag && body->tag == "kernel";
  text = body->message;
  if (line.kernel) PeelDmesgPrefix(text, line);
  return true;
}

// /dev/kmsg: "prio,seq,usec,flags[,key=value...];text".
bool LineDecoder::DecodeKmsg(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view t = s;
  auto prio = ConsumeDecimal(t);
  if (!prio || !ConsumePrefix(t, ",") || !ConsumeDecimal(t) || !ConsumePrefix(t, ","))
    return false;
  auto usec = ConsumeDecimal(t);
  if (!usec || !ConsumePrefix(t, ",")) return false;
  size_t semi = t.find(';');
  if (semi == std::string_view::npos || semi > 256) return false;
  std::string_view header = t.substr(0, semi);
  // The flags field is "-", "c" or "+" (continuation flags of old kernels); being strict here
  // keeps "1,2,3,x;y" in a plain log plain.
  if (header.empty() || (header[0] != '-' && header[0] != 'c' && header[0] != '+') ||
      header.find(' ') != std::string_view::npos)
    return false;
  // Fields after the flags: "caller=T123" since 5.1; others are skipped.
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    std::string_view field = header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (ConsumePrefix(field, "caller=") && !field.empty() && (field[0] == 'T' || field[0] == 'C')) {
      Caller::Kind kind = field[0] == 'T' ? Caller::Kind::kThread : Caller::Kind::kCpu;
      auto id = ParseDecimal(field.substr(1));
      if (id && *id <= std::numeric_limits<uint32_t>::max())
        line.caller = Caller{kind, static_cast<uint32_t>(*id)};
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  line.format = LogFormat::kKmsg;
  line.level = static_cast<int>(*prio & 7);
  line.kernel = (*prio >> 3) == 0;
  line.timestamp = static_cast<double>(*usec) / 1e6;
  text = t.substr(semi + 1);
  return true;
}

// The " KEY=value" dictionary lines that follow a /dev/kmsg record (SUBSYSTEM=, DEVICE=).
bool LineDecoder::DecodeKmsgContinuation(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view t = s.substr(1);
  size_t i = 0;
  while (i < t.size() && (IsUpper(t[i]) || IsDigit(t[i]) || t[i] == '_')) ++i;
  if (i == 0 || i >= t.size() || t[i] != '=') return false;
  line.format = LogFormat::kKmsg;
  line.kernel = false;
  text = t;
  return true;
}

// "kern  :warn  : [ ts] text" (dmesg -x).
bool LineDecoder::DecodeDmesgDecoded(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view t = s;
  std::string_view facility = ConsumeWordThenPad(t);
  if (!IsFacilityName(facility) || !ConsumePrefix(t, ":")) return false;
  std::string_view level = ConsumeWordThenPad(t);
  int lvl = LevelFromName(level);
  if (lvl < 0 || !ConsumePrefix(t, ":")) return false;
  ConsumeChar(t, ' ');
  line.format = LogFormat::kDmesgDecoded;
  line.level = lvl;
  line.kernel = facility == "kern";
  double ts = 0;
  if (ConsumeBootTimestamp(t, ts)) {
    line.timestamp = ts;
    ConsumeCaller(t, line.caller);
    ConsumeChar(t, ' ');
  }
  text = t;
  return true;
}

// journalctl's "-- Logs begin at ... --", "-- Boot 0123... --", "-- Reboot --".
bool LineDecoder::DecodeJournalMarker(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view t = TrimRight(s);
  if (t.size() < 6 || !StartsWith(t, "-- ") || !EndsWith(t, " --")) return false;
  seen_journal_marker_ = true;
  line.format = LogFormat::kPlain;
  line.kernel = false;
  text = t;
  return true;
}

// "syzkaller login: [   12.3] text": the console printed a kernel line after a prompt.
bool LineDecoder::DecodeGluedPrompt(std::string_view s, LogLine& line, std::string_view& text) {
  std::string_view window = s.substr(0, kMaxPromptBytes);
  size_t pos = 0;
  while ((pos = window.find('[', pos)) != std::string_view::npos) {
    if (pos > 0 && IsGluedPrompt(s.substr(0, pos))) {
      std::string_view t = s.substr(pos);
      double ts = 0;
      if (ConsumeBootTimestamp(t, ts)) {
        line = LogLine{};
        line.format = LogFormat::kDmesg;
        line.timestamp = ts;
        ConsumeCaller(t, line.caller);
        ConsumeChar(t, ' ');
        text = t;
        return true;
      }
    }
    ++pos;
  }
  return false;
}

// journalctl -o json: one object per line. MESSAGE is an array of bytes when it is not UTF-8.
bool LineDecoder::DecodeJournalJson(std::string_view s, LogLine& line, std::string_view& text) {
  nlohmann::json obj = nlohmann::json::parse(s.begin(), s.end(), nullptr, /*allow_exceptions=*/false);
  if (!obj.is_object()) return false;
  json_message_.clear();
  if (const nlohmann::json* m = JsonField(obj, "MESSAGE")) {
    if (m->is_string()) {
      json_message_ = m->get_ref<const std::string&>();
    } else if (m->is_array()) {
      for (const nlohmann::json& b : *m) {
        if (!b.is_number_integer()) continue;  // unsigned counts as integer too
        bool ok = false;
        uint64_t v = JsonUnsigned(b, ok);
        if (ok && v <= 255) json_message_.push_back(static_cast<char>(v));
      }
    }
  }
  json_host_.clear();
  if (const nlohmann::json* h = JsonField(obj, "_HOSTNAME"); h != nullptr && h->is_string())
    json_host_ = h->get_ref<const std::string&>();

  line.format = LogFormat::kJournalJson;
  line.kernel = JsonStringIs(obj, "_TRANSPORT", "kernel") || JsonStringIs(obj, "SYSLOG_IDENTIFIER", "kernel");
  if (const nlohmann::json* p = JsonField(obj, "PRIORITY")) {
    bool ok = false;
    uint64_t v = JsonUnsigned(*p, ok);
    if (ok && v <= 7) line.level = static_cast<int>(v);
  }
  if (const nlohmann::json* m = JsonField(obj, "_SOURCE_MONOTONIC_TIMESTAMP")) {
    bool ok = false;
    uint64_t usec = JsonUnsigned(*m, ok);
    if (ok) line.timestamp = static_cast<double>(usec) / 1e6;
  }
  line.host = json_host_;
  text = json_message_;
  return true;
}

}  // namespace ktriage
