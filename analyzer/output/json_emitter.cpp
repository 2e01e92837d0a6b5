// JsonEmitter: token-order JSON output with nlohmann-compatible escaping and number spelling.
#include "analyzer/output/json_emitter.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/text.h"

namespace ktriage::output_internal {

void JsonEmitter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_) out_ += ',';
  first_ = false;
}

void JsonEmitter::Uint(uint64_t v) {
  Separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
}

void JsonEmitter::Int(int64_t v) {
  Separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
}

void JsonEmitter::Double(double v) {
  Separate();
  out_ += nlohmann::json(v).dump();
}

namespace {

// Whether any of the 8 bytes of `w` is a control byte, '"', '\\' or not ASCII: the bytes that
// AppendString must look at one by one. Kernel text is nearly all plain ASCII, so most strings
// are copied 8 bytes per test (the "has less than" and "has zero byte" bit tricks).
bool NeedsAttention(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  // A byte below n exists in x (n <= 128) exactly when this is non-zero; n = 1 finds a zero byte.
  auto has_less = [&](uint64_t x, uint64_t n) { return ((x - kOnes * n) & ~x & kHigh) != 0; };
  return (w & kHigh) != 0 || has_less(w, 0x20) || has_less(w ^ (kOnes * '"'), 1) ||
         has_less(w ^ (kOnes * '\\'), 1);
}

}  // namespace

void JsonEmitter::AppendString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string sanitized;
  out_ += '"';
  size_t run = 0;  // start of the bytes not yet copied: copied in one append, not byte by byte
  for (size_t i = 0; i < s.size(); ++i) {
    // Skip whole words of plain bytes.
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (NeedsAttention(w)) break;
      i += 8;
    }
    if (i >= s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80 && sanitized.empty()) {
      // Rare in kernel logs: validate the rest once, then carry on over valid UTF-8.
      out_.append(s.substr(run, i - run));
      sanitized = SanitizeUtf8(s.substr(i));
      s = sanitized;
      i = 0;
      run = 0;
      c = static_cast<unsigned char>(s[0]);
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 0xf];
    }
  }
  out_.append(s.substr(run));
  out_ += '"';
}

}  // namespace ktriage::output_internal
