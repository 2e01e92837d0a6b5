// SafeMemberName, JoinMember, UnsafeMemberReason.
#include "analyzer/ingest/member_name.h"

#include <cstdint>

namespace ktriage {
namespace {

void AppendHex(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// Length of the valid UTF-8 sequence at `s[i]`, 0 when it is not one.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = 0;
  uint32_t min = 0;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) { n = 2; min = 0x80; }
  else if ((c & 0xf0) == 0xe0) { n = 3; min = 0x800; }
  else if ((c & 0xf8) == 0xf0) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

std::string SafeMemberName(std::string_view raw) {
  while (raw.size() > 2 && raw.substr(0, 2) == "./") raw.remove_prefix(2);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (IsControl(c) || c == '\\' || c == kMemberSeparator) {
      AppendHex(out, c);
      ++i;
      continue;
    }
    const size_t n = Utf8Length(raw, i);
    if (n == 0) {
      AppendHex(out, c);
      ++i;
      continue;
    }
    out.append(raw.substr(i, n));
    i += n;
  }
  return out;
}

std::string JoinMember(std::string_view container, std::string_view safe_member) {
  std::string out(container);
  out += kMemberSeparator;
  out += safe_member;
  return out;
}

std::string UnsafeMemberReason(std::string_view raw) {
  if (raw.empty()) return "empty member name";
  if (raw.front() == '/') return "absolute member name";
  for (unsigned char c : raw) {
    if (IsControl(c)) return "control characters in the member name";
  }
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('/', start);
    if (end == std::string_view::npos) end = raw.size();
    if (raw.substr(start, end - start) == "..") return "member name escapes the archive ('..')";
    start = end + 1;
  }
  return "";
}

}  // namespace ktriage
