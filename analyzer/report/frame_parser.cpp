// Hand-written (not regex) so that scanning long traces stays cheap; every access is bounds-checked
// through string_view operations because the input is untrusted.
#include "analyzer/report/frame_parser.h"

#include <algorithm>

#include "analyzer/report/machinery_frames.h"
#include "base/text.h"

namespace ktriage {
namespace {

// Consumes "[<ffffffff81234567>]" or "[ffffffff81234567]" (ppc64) or "[<(null)>]"; returns the address.
std::optional<uint64_t> ConsumeBracketAddress(std::string_view& s, bool& matched) {
  matched = false;
  std::string_view t = s;
  if (!ConsumePrefix(t, "[")) return std::nullopt;
  bool angle = ConsumePrefix(t, "<");
  size_t n = 0;
  while (n < t.size() && n < 18 && (IsHexDigit(t[n]) || (n == 1 && t[n] == 'x'))) ++n;
  std::optional<uint64_t> addr;
  if (n > 0) {
    addr = ParseHex(t.substr(0, n));
    t.remove_prefix(n);
  } else if (!ConsumePrefix(t, "(null)")) {
    return std::nullopt;
  }
  if (angle && !ConsumePrefix(t, ">")) return std::nullopt;
  if (!ConsumePrefix(t, "]")) return std::nullopt;
  matched = true;
  s = t;
  return addr;
}

// Parses "func+0xoff/0xsize" or "func" at the start of `s` (with optional "[module buildid]" after).
// `require_offset` rejects bare words that are not clearly symbols.
bool ConsumeSymbol(std::string_view& s, Frame& f, bool require_offset) {
  size_t n = 0;
  while (n < s.size() && IsSymbolChar(s[n])) ++n;
  if (n == 0) return false;
  std::string_view name = s.substr(0, n);
  // ppc64's ELFv1 ABI names a function's code ".show_stack" (the plain name is its descriptor).
  if (name.size() > 1 && name[0] == '.' && !IsDigit(name[1]) && name[1] != '.') name.remove_prefix(1);
  std::string_view rest = s.substr(n);
  if (ConsumePrefix(rest, "+0x")) {
    size_t m = 0;
    while (m < rest.size() && IsHexDigit(rest[m])) ++m;
    auto off = ParseHex(rest.substr(0, m));
    if (!off) return false;
    rest.remove_prefix(m);
    f.offset = off;
    if (ConsumePrefix(rest, "/0x")) {
      size_t k = 0;
      while (k < rest.size() && IsHexDigit(rest[k])) ++k;
      auto size = ParseHex(rest.substr(0, k));
      if (!size) return false;
      f.size = size;
      rest.remove_prefix(k);
    }
  } else if (require_offset) {
    return false;
  }
  // A symbol starting with a digit is a number, not a function.
  if (IsDigit(name[0])) return false;
  f.function = std::string(name);
  s = rest;
  return true;
}

// " [veth]" or " [veth 0123abcd...]" after a symbol.
void ConsumeModule(std::string_view& s, Frame& f) {
  std::string_view t = TrimLeft(s);
  if (!ConsumePrefix(t, "[")) return;
  size_t close = t.find(']');
  if (close == std::string_view::npos) return;
  std::string_view inside = t.substr(0, close);
  size_t space = inside.find(' ');
  std::string_view mod = inside.substr(0, space);
  if (mod.empty()) return;
  for (char c : mod)
    if (!IsSymbolChar(c) && c != '-') return;
  if (mod == "inline") return;
  f.module = std::string(mod);
  if (space != std::string_view::npos) {
    std::string_view id = Trim(inside.substr(space + 1));
    bool hex = !id.empty();
    for (char c : id) hex = hex && IsHexDigit(c);
    if (hex) f.build_id = std::string(id);
  }
  s = t.substr(close + 1);
}

// Symbolized logs append " path/file.c:123" and maybe " [inline]".
void ConsumeSource(std::string_view& s, Frame& f) {
  std::string_view t = TrimLeft(s);
  size_t end = t.find(' ');
  std::string_view tok = t.substr(0, end);
  size_t colon = tok.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return;
  if (!ParseDecimal(tok.substr(colon + 1))) return;
  std::string_view file = tok.substr(0, colon);
  if (file.find('.') == std::string_view::npos) return;
  f.source = std::string(tok);
  t = end == std::string_view::npos ? std::string_view() : t.substr(end);
  std::string_view after = TrimLeft(t);
  if (ConsumePrefix(after, "[inline]")) {
    f.printed_inline = true;
    t = after;
  }
  s = t;
}

void ConsumeTrailer(std::string_view& rest, Frame& f) {
  ConsumeModule(rest, f);
  ConsumeSource(rest, f);
  std::string_view t = TrimRight(rest);
  if (t.size() >= 12 && t.substr(t.size() - 12) == "(unreliable)") f.reliable = false;
}

// "0xffffffffc0a1e0c9": an address the kernel could not name (a BPF program, an ftrace
// trampoline, a module being loaded), printed alone where a symbol would be.
bool ConsumeBareAddress(std::string_view& s, Frame& f) {
  std::string_view t = s;
  if (!ConsumePrefix(t, "0x")) return false;
  size_t n = 0;
  while (n < t.size() && IsHexDigit(t[n])) ++n;
  if (n < 8 || n > 16) return false;
  f.address = ParseHex(t.substr(0, n));
  s = t.substr(n);
  return true;
}

// One side of an arm32 frame line: "[<c001457c>] (show_stack+0x24/0x2c)", "(show_stack)" or
// "show_stack+0x24/0x2c", a module's symbol with " [mod]" inside the parentheses.
bool ConsumeArmSide(std::string_view s, Frame& f) {
  s = Trim(s);
  bool matched = false;
  auto addr = ConsumeBracketAddress(s, matched);
  if (matched) {
    f.address = addr;
    s = TrimLeft(s);
  }
  if (ConsumePrefix(s, "(")) {
    if (s.empty() || s.back() != ')') return false;
    s.remove_suffix(1);
  }
  if (!ConsumeSymbol(s, f, /*require_offset=*/false)) return false;
  ConsumeModule(s, f);
  return Trim(s).empty();
}

// arm32 prints a frame with its caller: "[<c0014318>] (dump_backtrace_log_lvl) from [<c001457c>]
// (show_stack+0x24/0x2c)" (3.x-5.x), "(dump_backtrace) from (show_stack+0x24/0x2c)", and since 5.15
// "unwind_backtrace from show_stack+0x10/0x14". The caller always has its offset (%pS).
std::optional<Frame> ParseArmFrameLine(std::string_view s) {
  size_t from = s.find(" from ");
  if (from == std::string_view::npos) return std::nullopt;
  Frame f, c;
  if (!ConsumeArmSide(s.substr(0, from), f) || !ConsumeArmSide(s.substr(from + 6), c) || !c.offset)
    return std::nullopt;
  f.caller = FrameCaller{std::move(c.function), c.offset, c.size, std::move(c.module), c.address};
  return f;
}

// `perf script` callchain entries: "ffffffff81a2b3c4 __put_net+0x4 ([kernel.kallsyms])",
// "ffffffffc0a1e0c9 [unknown] ([unknown])", "ffffffffc0123456 veth_xmit+0x10 ([veth])".
std::optional<Frame> ParsePerfCallchainLine(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsHexDigit(s[n])) ++n;
  if (n < 8 || n > 16 || n >= s.size() || s[n] != ' ') return std::nullopt;
  Frame f;
  f.address = ParseHex(s.substr(0, n));
  std::string_view t = s.substr(n + 1);
  if (!ConsumePrefix(t, "[unknown]") && !ConsumeSymbol(t, f, /*require_offset=*/false)) return std::nullopt;
  t = Trim(t);
  if (t.size() < 3 || t.front() != '(' || t.back() != ')') return std::nullopt;
  std::string_view dso = t.substr(1, t.size() - 2);
  if (dso.size() > 2 && dso.front() == '[' && dso.back() == ']' && dso != "[kernel.kallsyms]" && dso != "[unknown]")
    f.module = std::string(dso.substr(1, dso.size() - 2));
  return f;
}

// bpftrace's kstack: one indented "__put_net+4" per line, the offset in decimal.
std::optional<Frame> ParseDecimalOffsetLine(std::string_view s) {
  Frame f;
  std::string_view t = s;
  size_t n = 0;
  while (n < t.size() && IsSymbolChar(t[n])) ++n;
  if (n == 0 || IsDigit(t[0]) || n + 1 >= t.size() || t[n] != '+') return std::nullopt;
  std::string_view digits = TrimRight(t.substr(n + 1));
  auto off = ParseDecimal(digits);
  if (!off) return std::nullopt;
  f.function = std::string(t.substr(0, n));
  f.offset = off;
  return f;
}

}  // namespace

std::optional<FrameContext> ParseContextMarker(std::string_view line) {
  std::string_view t = Trim(line);
  if (t.size() < 3 || t.front() != '<' || t.back() != '>') return std::nullopt;
  bool closing = t[1] == '/';
  std::string_view name = t.substr(closing ? 2 : 1, t.size() - (closing ? 3 : 2));
  if (name == "EOI" || name == "EOE") return FrameContext::kTask;
  if (closing) {
    if (name == "IRQ" || name == "NMI" || name == "SOFTIRQ" || name == "TASK" ||
        (!name.empty() && name[0] == '#'))
      return FrameContext::kTask;
    return std::nullopt;
  }
  if (name == "IRQ") return FrameContext::kIrq;
  if (name == "SOFTIRQ") return FrameContext::kSoftirq;
  if (name == "NMI") return FrameContext::kNmi;
  if (name == "TASK") return FrameContext::kTask;
  if (name.size() >= 2 && name[0] == '#') return FrameContext::kException;
  return std::nullopt;
}

namespace {
std::optional<Frame> ParseCallTraceLine(std::string_view line, std::string_view s);
}  // namespace

std::optional<FrameContext> LeadingContextMarker(std::string_view line, std::string_view* rest) {
  std::string_view t = TrimLeft(line);
  if (t.size() < 4 || t[0] != '<') return std::nullopt;
  size_t end = t.find(' ');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view token = t.substr(0, end);
  // 2.6/3.x x86-64 doubles the brackets of an exception stack's end: "<<EOE>>".
  if (token.size() > 4 && token[1] == '<' && token[token.size() - 2] == '>') token = token.substr(1, token.size() - 2);
  auto ctx = ParseContextMarker(token);
  if (ctx && rest) *rest = TrimLeft(t.substr(end));
  return ctx;
}

std::optional<Frame> ParseFrameLine(std::string_view line) {
  Frame f;
  std::string_view s = TrimLeft(line);
  if (s.empty()) return std::nullopt;
  if (s[0] == '<') {
    std::string_view rest;
    if (LeadingContextMarker(s, &rest) && !rest.empty()) return ParseFrameLine(rest);
  }

  // Register-style lines that name the PC: "RIP: 0010:foo+0x1/0x2", "IP: [<...>] foo+...",
  // "pc : foo+...", "lr : foo+...", "NIP [c...] foo+...", "LR [c...] foo+...", "EIP is at foo+...".
  struct IpPrefix { std::string_view text; bool is_ip; };
  static constexpr IpPrefix kIpPrefixes[] = {
      {"RIP: ", true}, {"IP: ", true}, {"EIP: ", true}, {"pc : ", true}, {"lr : ", false},
      {"NIP [", true}, {"NIP:", true}, {"LR [", false}, {"PC is at ", true}, {"LR is at ", false},
      {"EIP is at ", true}, {"RIP is at ", true}, {"IP is at ", true}, {"Krnl PSW :", true}, {"RIP  [", true},
  };
  // Every IP prefix starts with one of these letters; most frame lines do not, so skip the loop.
  const char c0 = s[0];
  const bool maybe_ip = c0 == 'R' || c0 == 'I' || c0 == 'E' || c0 == 'p' || c0 == 'l' || c0 == 'N' || c0 == 'L' ||
                        c0 == 'P' || c0 == 'K';
  for (const auto& p : kIpPrefixes) {
    if (!maybe_ip) break;
    std::string_view t = s;
    if (!ConsumePrefix(t, p.text)) continue;
    if (p.text.back() == '[') t = s.substr(p.text.size() - 1);  // keep the bracket for the address
    t = TrimLeft(t);
    // s390: "Krnl PSW : 0404c00180000000 0000000000431f8e (scsi_alloc_sgtable+0x62/0x7c)".
    if (p.text == "Krnl PSW :") {
      size_t open = t.find('(');
      if (open == std::string_view::npos || t.back() != ')') return std::nullopt;
      t = t.substr(open + 1, t.size() - open - 2);
    }
    // "0010:" segment selector on x86-64 RIP lines.
    if (t.size() > 5 && t[4] == ':' && IsHexDigit(t[0]) && IsHexDigit(t[3])) t.remove_prefix(5);
    for (int i = 0; i < 2; ++i) {
      bool matched = false;
      auto addr = ConsumeBracketAddress(t, matched);
      if (!matched) break;
      if (addr && !f.address) f.address = addr;
      t = TrimLeft(t);
    }
    if (!ConsumeSymbol(t, f, /*require_offset=*/true)) return std::nullopt;
    f.is_ip = p.is_ip;
    f.reliable = true;
    ConsumeTrailer(t, f);
    return f;
  }

  // ftrace/kprobe stack trigger: " => func" / "=> func+0x1/0x2" / "=> 0xffffffffc0a1e0c9" (a
  // trampoline); `trace-cmd report` adds the address: "=> sk_free (ffffffff9a3c1a40)".
  if (ConsumePrefix(s, "=> ")) {
    std::string_view t = TrimLeft(s);
    if (ConsumeBareAddress(t, f)) return Trim(t).empty() ? std::optional<Frame>(std::move(f)) : std::nullopt;
    // 6.12's function tracer prints its trampoline as "[FTRACE TRAMPOLINE]", with no address:
    // that text is the frame's only name (tracing machinery, see machinery_frames.h). trace-cmd
    // prints an address it cannot name as bare hex ("=> ffffffffc0216083", "=> 7fffffff").
    if (Trim(t) == kFtraceTrampolineFrame) {
      f.function = std::string(kFtraceTrampolineFrame);
      return f;
    }
    if (std::string_view hex = Trim(t); hex.size() >= 8 && hex.size() <= 16 &&
                                        std::all_of(hex.begin(), hex.end(), [](char c) { return IsHexDigit(c); })) {
      f.address = ParseHex(hex);
      return f;
    }
    if (!ConsumeSymbol(t, f, /*require_offset=*/false)) return std::nullopt;
    std::string_view u = TrimLeft(t);
    if (u.size() > 2 && u.front() == '(' && u.back() == ')') {
      if (auto addr = ParseHex(u.substr(1, u.size() - 2))) {
        f.address = addr;
        return f;
      }
    }
    ConsumeTrailer(t, f);
    return f;
  }
  // ppc: an exception inside the trace, "--- interrupt: 901 at .arch_local_irq_restore+0x7c/0x90".
  if (s[0] == '-' && (ConsumePrefix(s, "--- interrupt: ") || ConsumePrefix(s, "--- Exception: "))) {
    size_t at = s.find(" at ");
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view t = s.substr(at + 4);
    if (!ConsumeSymbol(t, f, /*require_offset=*/true)) return std::nullopt;
    ConsumeTrailer(t, f);
    return f;
  }
  if (auto frame = ParseCallTraceLine(line, s)) return frame;
  // Rarer than the formats above, so tried only when the line is none of them.
  if (IsHexDigit(s[0])) {
    if (auto perf = ParsePerfCallchainLine(s)) return perf;
  }
  if (s.find(" from ") != std::string_view::npos) return ParseArmFrameLine(s);
  return std::nullopt;
}

namespace {

// x86, arm64, ppc64 and s390 call trace entries ("[<addr>] ? name+0x1/0x2 [mod]", symbolized
// forms, bare addresses) and bpftrace's kstack lines; `s` is `line` without its indentation.
std::optional<Frame> ParseCallTraceLine(std::string_view line, std::string_view s) {
  Frame f;
  // s390 unreliable frames are wrapped in parentheses.
  bool paren = false;
  if (s.front() == '(' && s.back() == ')') {
    paren = true;
    s = s.substr(1, s.size() - 2);
  }
  // Up to two printed addresses: "[<ffffffff81234567>]" (x86/s390) or "[c0000000..] [c0000000..]" (ppc64).
  for (int i = 0; i < 2; ++i) {
    bool matched = false;
    auto addr = ConsumeBracketAddress(s, matched);
    if (!matched) break;
    if (addr && !f.address) f.address = addr;
    s = TrimLeft(s);
  }
  // arm64/s390 "NN:" frame-index prefixes do not occur in our targets; x86 marks unreliable with "? ".
  if (ConsumePrefix(s, "? ")) {
    f.reliable = false;
    s = TrimLeft(s);
  }
  bool symbolized_form = false;
  // 2.6.18 names a module's function ":ext3:ext3_journal_start_sb+0x4a/0x5b".
  std::string module_prefix;
  if (s.size() > 2 && s[0] == ':') {
    size_t colon = s.find(':', 1);
    if (colon != std::string_view::npos && colon > 1 && s.substr(1, colon - 1).find(' ') == std::string_view::npos) {
      module_prefix = std::string(s.substr(1, colon - 1));
      s = s.substr(colon + 1);
    }
  }
  std::string_view t = s;
  // An address with no name (x86 prints " ? 0xffffffffc0201000" for a BPF program or trampoline).
  if (ConsumeBareAddress(t, f)) {
    if (!Trim(t).empty()) return std::nullopt;
    if (paren) f.reliable = false;
    return f;
  }
  if (!ConsumeSymbol(t, f, /*require_offset=*/true)) {
    // bpftrace's kstack prints "        __put_net+4" (decimal), indented, alone on the line.
    const bool indented = line[0] == ' ' || line[0] == '\t';
    if (indented && !paren && !f.address) {
      if (auto bpf = ParseDecimalOffsetLine(s)) {
        bpf->reliable = f.reliable;
        return bpf;
      }
    }
    // Symbolized inline frames have no offset: " __dump_stack lib/dump_stack.c:77 [inline]".
    t = s;
    Frame g;
    if (!ConsumeSymbol(t, g, /*require_offset=*/false)) return std::nullopt;
    std::string_view u = t;
    ConsumeSource(u, g);
    if (g.source.empty()) return std::nullopt;
    g.reliable = f.reliable;
    g.address = f.address;
    f = std::move(g);
    t = u;
    symbolized_form = true;
  }
  if (!symbolized_form) ConsumeTrailer(t, f);
  if (f.module.empty()) f.module = std::move(module_prefix);
  if (paren) f.reliable = false;
  // Anything but whitespace after the frame means the "frame" was part of a sentence.
  std::string_view tail = Trim(t);
  if (!tail.empty() && tail != "(unreliable)") return std::nullopt;
  return f;
}

}  // namespace

}  // namespace ktriage
