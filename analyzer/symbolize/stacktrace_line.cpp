// Each step below is one statement of decode_stacktrace.sh's handle_line and parse_symbol (Linux
// 6.1), in the script's order: the order matters where two steps touch the same word.
#include "analyzer/symbolize/stacktrace_line.h"

#include <vector>

#include "base/text.h"

namespace ktriage {
namespace {

constexpr size_t npos = std::string_view::npos;

bool IsLowerHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

// [[ $w =~ \[\<([^]]+)\>\] ]]: "[<", at least one byte, ">]", with no "]" before the end.
bool HasBracketAddress(std::string_view w) {
  for (size_t p = w.find("[<"); p != npos; p = w.find("[<", p + 1)) {
    size_t close = w.find(']', p + 2);
    if (close != npos && close >= p + 4 && w[close - 1] == '>') return true;
  }
  return false;
}

// [[ $w =~ ^[0-9a-f]+\] ]]: the build-id half of a "[module build-id]" pair of words.
bool IsBuildIdTail(std::string_view w) {
  size_t n = 0;
  while (n < w.size() && IsLowerHexDigit(w[n])) ++n;
  return n > 0 && n < w.size() && w[n] == ']';
}

// [[ $w =~ \[([^]]+)\] ]]: a "[...]" with at least one byte inside: the module word.
bool HasBracketed(std::string_view w) {
  for (size_t p = w.find('['); p != npos; p = w.find('[', p + 1)) {
    size_t close = w.find(']', p + 1);
    if (close != npos && close > p + 1) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> DecodeStacktraceLine(std::string_view line, const Frame& frame) {
  if (!frame.symbolized || frame.source.empty() || !frame.offset) return std::nullopt;
  for (const InlinedCall& call : frame.inlined) {
    if (call.source.empty()) return std::nullopt;  // addr2line would print "??:?": not ours to invent
  }
  // A "\r\n" line end is a line end here; the script keeps the "\r" in the last word.
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  // `read line` then `read -a words`: words split at runs of blanks (bash's default IFS).
  std::vector<std::optional<std::string>> words;  // nullopt: unset by the script
  for (size_t i = 0; i < line.size();) {
    if (line[i] == ' ' || line[i] == '\t') {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    words.emplace_back(std::string(line.substr(i, end - i)));
    i = end;
  }
  if (words.empty()) return std::nullopt;
  auto word = [&](size_t i) { return words[i] ? *words[i] : std::string(); };

  // Addresses go; "[" "12.345678]" becomes one word printed with "[%13s".
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] && HasBracketAddress(*words[i])) words[i].reset();
    if (word(i) == "[" && i + 1 < words.size() && !word(i + 1).empty() && word(i + 1).back() == ']') {
      words[i].reset();
      std::string& stamp = *words[i + 1];
      if (stamp.size() < 13) stamp.insert(0, 13 - stamp.size(), ' ');
      stamp.insert(0, 1, '[');
    }
  }

  size_t last = words.size() - 1;
  if (IsBuildIdTail(word(last))) {
    if (last == 0) return std::nullopt;
    words[last - 1] = word(last - 1) + " " + word(last);
    words[last].reset();
    --last;
  }
  std::string symbol;
  std::string module;
  if (HasBracketed(word(last))) {
    if (last == 0) return std::nullopt;
    module = word(last);
    if (!module.empty() && module.front() == '[') module.erase(0, 1);
    if (!module.empty() && module.back() == ']') module.pop_back();
    if (size_t space = module.rfind(' '); space != npos) module.resize(space);  // the build-id goes
    symbol = word(last - 1);
    words[last - 1].reset();
  } else {
    symbol = word(last);
  }
  words[last].reset();

  // parse_symbol: "(SEGMENT:NAME+0xOFFSET/0xSIZE)", parentheses and segment optional.
  std::string_view s = symbol;
  if (!s.empty() && s.front() == '(') s.remove_prefix(1);
  if (!s.empty() && s.back() == ')') s.remove_suffix(1);
  std::string_view segment;
  if (size_t colon = s.find(':'); colon != npos) {
    segment = s.substr(0, colon + 1);
    s.remove_prefix(colon + 1);
  }
  const std::string_view name = s.substr(0, s.rfind('+'));
  if (name != frame.function || module != frame.module) return std::nullopt;
  std::string_view offset = s.substr(0, s.rfind('/'));
  if (offset.substr(0, name.size()) != name) return std::nullopt;
  offset.remove_prefix(name.size());
  if (!ConsumePrefix(offset, "+0x") || ParseHex(offset) != frame.offset) return std::nullopt;

  // echo "${words[@]}" "$segment$name ($code) $module", $code being addr2line -i's lines joined.
  std::string out;
  for (const std::optional<std::string>& w : words) {
    if (!w) continue;
    out += *w;
    out += ' ';
  }
  out += segment;
  out += name;
  out += " (";
  for (const InlinedCall& call : frame.inlined) {
    out += call.source;
    out += ' ';
  }
  out += frame.source;
  out += ") ";
  out += module;
  return out;
}

}  // namespace ktriage
