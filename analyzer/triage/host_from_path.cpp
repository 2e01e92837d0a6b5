// HostFromPath: host names from fleet collection layouts.
#include "analyzer/triage/host_from_path.h"

#include <vector>

#include "analyzer/ingest/member_name.h"

namespace ktriage::triage {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/' || path[i] == kMemberSeparator) {
      if (i > start) out.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Position of "-YYYY-MM-DD" in `s` (a dash, then a date), npos when none.
size_t FindDate(std::string_view s) {
  for (size_t i = 0; i + 11 <= s.size(); ++i) {
    std::string_view d = s.substr(i, 11);
    if (d[0] == '-' && IsDigit(d[1]) && IsDigit(d[2]) && IsDigit(d[3]) && IsDigit(d[4]) && d[5] == '-' &&
        IsDigit(d[6]) && IsDigit(d[7]) && d[8] == '-' && IsDigit(d[9]) && IsDigit(d[10])) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string_view StripArchiveSuffix(std::string_view s) {
  for (std::string_view ext : {".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".tgz", ".tar", ".zip"}) {
    if (s.size() > ext.size() && s.substr(s.size() - ext.size()) == ext) return s.substr(0, s.size() - ext.size());
  }
  return s;
}

std::string SosreportHost(std::string_view c) {
  constexpr std::string_view kPrefix = "sosreport-";
  if (c.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string_view rest = StripArchiveSuffix(c.substr(kPrefix.size()));
  if (size_t date = FindDate(rest); date != std::string_view::npos) {
    rest = rest.substr(0, date);
    // An optional case id between the host and the date: five or more digits (a host may end
    // in "-2", a case id is longer).
    if (size_t dash = rest.rfind('-'); dash != std::string_view::npos && dash + 6 <= rest.size()) {
      bool digits = true;
      for (char ch : rest.substr(dash + 1)) digits = digits && IsDigit(ch);
      if (digits) rest = rest.substr(0, dash);
    }
  }
  return std::string(rest);
}

std::string KdumpDirectoryHost(std::string_view c) {
  const size_t date = FindDate(c);
  if (date == std::string_view::npos || date == 0) return "";
  std::string_view ip = c.substr(0, date);
  for (char ch : ip) {
    const bool ok = IsDigit(ch) || ch == '.' || ch == ':' || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
    if (!ok) return "";
  }
  return std::string(ip);
}

}  // namespace

std::string HostFromPath(std::string_view path) {
  const std::vector<std::string_view> parts = Components(path);
  // The last component is the file itself, never a host directory's name.
  for (size_t i = 0; i + 2 < parts.size(); ++i) {
    const std::string_view c = parts[i];
    if (c == "hosts" || c == "host" || c == "nodes" || c == "servers") return std::string(parts[i + 1]);
  }
  for (std::string_view c : parts) {
    if (std::string h = SosreportHost(c); !h.empty()) return h;
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (std::string h = KdumpDirectoryHost(parts[i]); !h.empty()) return h;
  }
  return "";
}

}  // namespace ktriage::triage
