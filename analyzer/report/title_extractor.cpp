// The title rules mirror the behaviour of syzkaller's pkg/report (facts carried over: which frame
// names a report, which frames are generic, how titles are normalised); the code is our own.
#include "analyzer/report/title_extractor.h"

#include <re2/re2.h>

#include <algorithm>
#include <string>
#include <vector>

#include "analyzer/report/report_catalog_internal.h"
#include "base/rust_demangle.h"

namespace ktriage {

struct TitleExtractor::Replacement {
  std::unique_ptr<re2::RE2> re;
  std::string rewrite;
};

namespace {

constexpr const char* kNoFrames = "extracted no frames";

std::unique_ptr<re2::RE2> Re(std::string_view pattern) {
  auto r = std::make_unique<re2::RE2>(ExpandCatalogRegex(pattern), CatalogRegexOptions());
  // The patterns here are ours and fixed; a failure is a programming error caught by any test.
  if (!r->ok()) throw std::logic_error("title extractor regex: " + r->error());
  return r;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (pos < text.size()) lines.push_back(text.substr(pos));
      break;
    }
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

// Captures of `re` in `line` ([1..n]); empty when no match.
bool Capture(const re2::RE2& re, std::string_view text, std::vector<std::string_view>& groups,
             size_t* match_start = nullptr) {
  constexpr int kMaxGroups = 16;  // catalog regexes have a handful of groups
  const int n = std::min(re.NumberOfCapturingGroups() + 1, kMaxGroups);
  re2::StringPiece sp[kMaxGroups];
  if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), re2::RE2::UNANCHORED, sp, n))
    return false;
  groups.clear();
  for (int i = 1; i < n; ++i)
    groups.push_back(sp[i].data() ? std::string_view(sp[i].data(), sp[i].size()) : std::string_view());
  if (match_start) *match_start = static_cast<size_t>(sp[0].data() - text.data());
  return true;
}

// Hand-written equivalent of the frame regex "^ *(?:{{PC}} ){0,2}{{FUNC}}": every line of every
// stack goes through it, and this is several times cheaper than the regex.
bool MatchFrameLine(std::string_view ln, std::vector<std::string_view>& groups) {
  size_t i = 0;
  while (i < ln.size() && ln[i] == ' ') ++i;
  for (int pcs = 0; pcs < 2; ++pcs) {
    // "[<ffffffff81234567>] " or "[ffff...] " or "[<0x1234>] "
    size_t j = i;
    if (j >= ln.size() || ln[j] != '[') break;
    ++j;
    if (j < ln.size() && ln[j] == '<') ++j;
    if (j + 1 < ln.size() && ln[j] == '0' && ln[j + 1] == 'x') j += 2;
    size_t hex_start = j;
    while (j < ln.size() && ((ln[j] >= '0' && ln[j] <= '9') || (ln[j] >= 'a' && ln[j] <= 'f'))) ++j;
    if (j == hex_start) break;
    if (j < ln.size() && ln[j] == '>') ++j;
    if (j + 1 >= ln.size() || ln[j] != ']' || ln[j + 1] != ' ') break;
    i = j + 2;
  }
  // arm32: "[<80100b6c>] (__irq_svc) from [<80616f94>] (check_zeroed_user+0x140/0x1dc)": the
  // frame is the first name in parentheses.
  const bool arm32 = i > 0 && i < ln.size() && ln[i] == '(';
  if (arm32) ++i;
  size_t start = i;
  while (i < ln.size() && ((ln[i] >= 'a' && ln[i] <= 'z') || (ln[i] >= 'A' && ln[i] <= 'Z') ||
                           (ln[i] >= '0' && ln[i] <= '9') || ln[i] == '_'))
    ++i;
  if (i == start || i >= ln.size()) return false;
  if (arm32 ? (ln[i] != ')' && ln[i] != '+' && ln[i] != '.') : (ln[i] != '.' && ln[i] != '+')) return false;
  groups.clear();
  groups.push_back(ln.substr(start, i - start));
  if (arm32) {
    // The caller after " from [<addr>] (" is the second candidate when the first is skipped.
    size_t from = ln.find(") from [<", i);
    size_t open = from == std::string_view::npos ? from : ln.find("] (", from);
    if (open != std::string_view::npos) {
      size_t b = open + 3, e = b;
      while (e < ln.size() && ((ln[e] >= 'a' && ln[e] <= 'z') || (ln[e] >= 'A' && ln[e] <= 'Z') ||
                               (ln[e] >= '0' && ln[e] <= '9') || ln[e] == '_'))
        ++e;
      if (e > b) groups.push_back(ln.substr(b, e - b));
    }
  }
  return true;
}

// Literal prefilters: the regexes behind them only run on lines that can match.
bool MayStartStack(std::string_view ln) {
  return ln.find("Call ") != std::string_view::npos || ln.find("Allocated") != std::string_view::npos ||
         ln.find("Freed") != std::string_view::npos || ln.find("acktrace") != std::string_view::npos ||
         ln.find("Uninit was stored") != std::string_view::npos || ln.find("badaddr: ") != std::string_view::npos;
}
bool MayBeCorruptedLine(std::string_view ln) { return ln.find("should_fail") != std::string_view::npos; }

std::string Format(std::string_view fmt, const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] == '{' && i + 2 < fmt.size() && fmt[i + 2] == '}' && fmt[i + 1] >= '1' && fmt[i + 1] <= '9') {
      size_t idx = static_cast<size_t>(fmt[i + 1] - '1');
      if (idx < args.size()) out += args[idx];
      i += 2;
    } else {
      out += fmt[i];
    }
  }
  return out;
}

// Dispatch points of the kernel: in a lockup or stall the loop is somewhere above one of these,
// and the frame just above (the caller-specific one) identifies the bug better than the top
// frame. Syscall entries name the syscall; for the multiplexing ones (ioctl, read, write, connect,
// sendmsg...) the frame above names the device or protocol. Matched on prefix-stripped names.
const char* const kStallAnchors[] = {
    // Generic dispatchers, with some of their callers in case a name changes.
    "process_one_work", "do_syscall_", "do_fast_syscall_", "sysenter_dispatch", "tracesys_phase2", "el0_svc_handler",
    "invoke_syscall", "ret_fast_syscall", "netif_receive_skb", "do_softirq", "call_timer_fn", "_run_timers",
    "run_timer_softirq", "hrtimer_run", "run_ksoftirqd", "smpboot_thread_fn", "^kthread$", "start_secondary",
    "cpu_startup_entry", "ret_from_fork",
    // file_operations and other discriminated entries.
    "vfs_write", "vfs_read", "vfs_iter_read", "vfs_iter_write", "do_iter_read", "do_iter_write", "call_read_iter",
    "call_write_iter", "new_sync_read", "new_sync_write", "vfs_ioctl", "ksys_ioctl", "compat_ioctl",
    "compat_sys_ioctl", "blkdev_driver_ioctl", "blkdev_ioctl", "do_iter_readv_writev", "^call_mmap", "mmap_region",
    "do_mmap", "do_dentry_open", "vfs_open",
    // Sockets.
    "^sock_sendmsg", "^sock_recvmsg", "^sock_release", "^__sock_release", "^setsockopt$", "kernel_setsockopt",
    "sock_common_setsockopt", "^listen$", "kernel_listen", "sk_common_release", "^sock_mmap", "^accept$",
    "kernel_accept", "^sock_do_ioctl", "^sock_ioctl", "^compat_sock_ioctl", "^nfnetlink_rcv_msg",
    "^rtnetlink_rcv_msg", "^netlink_dump", "^(sys_)?(socketpair|connect|ioctl)",
    // Page faults.
    "__do_fault", "do_page_fault", "^page_fault$",
    // Work run on the way back to user space, cross-CPU calls, tasklets.
    "__fput", "task_work_run", "exit_to_usermode", "smp_call_function", "tasklet_action", "tasklet_hi_action",
};

// Arch/ABI wrappers and the layers SYSCALL_DEFINE generates around a syscall body: a bug "in
// futex" is the same bug on every arch and kernel version. One prefix is removed, the one that
// leaves the shortest name.
const char* const kFramePrefixes[] = {"SYSC_",   "SyS_",     "sys_",     "__x64_",       "__ia32_",     "__arm64_",
                                      "____sys_", "___sys_",  "__sys_",   "__se_",        "__se_sys_",   "__do_sys_",
                                      "compat_SYSC_", "compat_SyS_", "ksys_"};

std::string StripFramePrefix(std::string_view name) {
  std::string_view best = name;
  for (const char* p : kFramePrefixes) {
    std::string_view pv(p);
    if (name.size() > pv.size() && name.substr(0, pv.size()) == pv && name.size() - pv.size() < best.size())
      best = name.substr(pv.size());
  }
  return std::string(best);
}

}  // namespace

TitleExtractor::TitleExtractor(std::shared_ptr<const ReportCatalog> catalog) : catalog_(std::move(catalog)) {
  // The headings a stack trace starts with. riscv dumps the stack right after its register dump,
  // whose last line is the one matched here.
  const char* const kStackStarts[] = {
      "Call (?:T|t)race", "Allocated:", "Allocated by task [0-9]+:", "Freed:", "Freed by task [0-9]+:",
      "[^k] backtrace(?: \\(crc [[:xdigit:]]*\\))?:",  // not "stack backtrace:"
      "Backtrace:", "Uninit was stored to memory at",
      "status: [0-9a-f]{16} badaddr: [0-9a-f]{16} cause: [0-9a-f]{16}"};
  std::string starts;
  for (const char* key : kStackStarts) {
    starts += std::string(starts.empty() ? "" : "|") + key;
    stack_keywords_.push_back(Re(key));
  }
  stack_start_re_ = Re(starts);
  corrupted_line_re_ = Re("^( \\[<?(?:0x)?[0-9a-f]+>?\\])? should_fail(slab)?(\\.[a-z0-9.]+)?\\+0x");
  corrupted_title_re_ = Re("\\[ *[0-9]+\\.[0-9]+\\]");
  std::string anchors;
  for (const char* a : kStallAnchors) anchors += std::string(anchors.empty() ? "" : "|") + a;
  stall_anchor_re_ = Re(anchors);
  guilty_frame_re_ = Re(".* in ((?:<[a-zA-Z0-9_: ]+>)?[a-zA-Z0-9_:]+)");
  auto add = [this](const char* re, const char* rewrite) {
    replacements_.push_back(Replacement{std::make_unique<re2::RE2>(re, CatalogRegexOptions()), rewrite});
  };
  // Order matters: addresses before numbers, function offsets before numbers.
  add("syz-executor\\.?[0-9]+((/|:)[0-9]+)?", "syz-executor");
  add("syzkaller[0-9]+((/|:)[0-9]+)?", "syzkaller");
  add("([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}", "\\1ADDR");
  add("([0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3})", "IP");
  add("(\\.\\w+)(:[0-9]+)+", "\\1:LINE");
  add("([a-zA-Z][a-zA-Z0-9_.]+)\\+0x[0-9a-z]+/0x[0-9a-z]+", "\\1");
  add("CPU#[0-9]+", "CPU");
  add("(\\W)(\\d+)(\\W|$)", "\\1NUM\\3");
  // Digits inside names survive (cfg80211, nl802154), but not seven or more in a row.
  add("(\\d+){7,}", "NUM");
}

TitleExtractor::~TitleExtractor() = default;

std::string TitleExtractor::NormalizeTitle(std::string_view title) const {
  std::string s(title);
  for (const auto& r : replacements_) {
    // Matches may overlap ("0,1,2"), so repeat until stable; each pass strictly shrinks the set of
    // matches, and the bound only guards against a pathological rule.
    for (int i = 0; i < 16; ++i)
      if (re2::RE2::GlobalReplace(&s, *r.re, r.rewrite) == 0) break;
  }
  // Printable ASCII only, tabs as spaces, runs of spaces collapsed, at most 120 bytes considered.
  std::string out;
  char prev = ' ';
  for (size_t i = 0; i < s.size() && i < 120; ++i) {
    char c = s[i];
    if (c == '\t') c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) continue;
    if (c == ' ' && prev == ' ') continue;
    out += c;
    prev = c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

namespace {

struct StackContext {
  const re2::RE2& skip_frames;
  const re2::RE2& stack_start_re;
  const re2::RE2& corrupted_line_re;
  const re2::RE2& stall_anchor_re;
};

bool Skipped(const re2::RE2* re, std::string_view name, TitleCache* cache) {
  if (!re) return false;
  if (cache) return cache->Matches(*re, name);
  return re2::RE2::PartialMatch(re2::StringPiece(name.data(), name.size()), *re);
}

// Every captured name that is not skipped, in order (an arm32 line names a frame and its caller).
// Skipping looks at the name as printed (demangled); the extractors see it prefix-stripped.
void AppendFrames(const std::vector<std::string_view>& groups, const re2::RE2* common, const re2::RE2* skip,
                  TitleCache* cache, std::vector<std::string>& frames) {
  std::optional<std::string> demangled;
  for (auto g : groups) {
    if (g.data() == nullptr || g.empty()) continue;
    std::string_view name = g;
    if (g.size() > 2 && g[0] == '_' && g[1] == 'R' && (demangled = DemangleRust(g))) name = *demangled;
    if (Skipped(common, name, cache) || Skipped(skip, name, cache)) continue;
    frames.push_back(StripFramePrefix(name));
  }
}

std::string Pick(const StackContext& ctx, FrameExtractor ex, const std::vector<std::string>& frames) {
  if (frames.empty()) return {};
  switch (ex) {
    case FrameExtractor::kFirst:
      return frames[0];
    case FrameExtractor::kStall: {
      std::string prev = frames[0];
      for (const auto& f : frames) {
        if (re2::RE2::PartialMatch(f, ctx.stall_anchor_re)) {
          // The cross-CPU call itself, not one of its many callers.
          if (f.find("smp_call_function") != std::string::npos) prev = "smp_call_function";
          return prev;
        }
        prev = f;
      }
      // No dispatch point in sight (a cut stack). syzkaller calls such a title "corrupted"; we keep
      // the top frame, which still says where the CPU was and gives rules a guilty frame. This
      // differs from syzkaller on about one report in a hundred stalls.
      return frames[0];
    }
    case FrameExtractor::kHungTask: {
      // Hangs show up on their victims' stacks: waits for RCU and for the RTNL gather the
      // victims of one cause under one title.
      for (const auto& f : frames) {
        if (f.find("rtnl_lock") != std::string::npos) return f;
        for (const char* s : {"synchronize_rcu", "synchronize_srcu", "synchronize_net", "synchronize_sched"})
          if (f.find(s) != std::string::npos) return "synchronize_rcu";
      }
      static const char* const kSkip[] = {"sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread",
                                          "wait", "synchronize", "context_switch", "__switch_to", "cancel_delayed_work",
                                          "rcu_barrier"};
      for (const auto& f : frames) {
        bool skip = false;
        for (const char* s : kSkip) skip = skip || f.find(s) != std::string::npos;
        if (!skip) return f;
      }
      return {};
    }
  }
  return {};
}

// Walks `parts` over the lines of `text`: regex parts advance to their first matching line (a
// capture there yields a frame), "@stack" collects frame names until the next stack starts. Lines
// of a fault-injection stack make the report corrupted wherever they are seen.
bool ExtractStackImpl(const StackContext& ctx, TitleCache* cache, const std::vector<std::unique_ptr<re2::RE2>>& parts,
                      const re2::RE2* skip, FrameExtractor ex, std::string_view text, std::vector<std::string>& results) {
  auto lines = SplitLines(text);
  // Past its first frame, a final stack matters only for fault-injection lines: rarely any.
  const bool fault_injection = text.find("should_fail") != std::string_view::npos;
  size_t li = 0;
  std::vector<std::string> frames;
  bool ok = true;
  int stacks = 0;
  std::vector<std::string_view> groups;
  auto corrupted_line = [&ctx, fault_injection](std::string_view ln) {
    return fault_injection && MayBeCorruptedLine(ln) && re2::RE2::PartialMatch(ln, ctx.corrupted_line_re);
  };
  for (size_t part = 0;; ++part) {
    if (part == parts.size() || (parts[part] == nullptr && stacks > 0)) {
      std::string key = Pick(ctx, ex, frames);
      if (key.empty()) {
        key = "corrupted";
        ok = false;
      }
      results.push_back(std::move(key));
      frames.clear();
    }
    if (part == parts.size()) break;
    if (parts[part] == nullptr) {
      ++stacks;
      // Only the first frame counts for kFirst in a final "@stack": the rest of it is only
      // looked at for fault-injection lines.
      const bool first_only = ex == FrameExtractor::kFirst && part + 1 == parts.size();
      while (li < lines.size()) {
        std::string_view ln = lines[li++];
        if (corrupted_line(ln)) {
          ok = false;
          break;
        }
        if (MayStartStack(ln) && re2::RE2::PartialMatch(ln, ctx.stack_start_re)) break;
        if (first_only && !frames.empty()) continue;
        if (part + 1 != parts.size() && parts[part + 1] && Capture(*parts[part + 1], ln, groups)) {
          AppendFrames(groups, &ctx.skip_frames, skip, cache, frames);
          ++part;
          break;
        }
        if (MatchFrameLine(ln, groups)) AppendFrames(groups, &ctx.skip_frames, skip, cache, frames);
        if (first_only && !fault_injection && !frames.empty()) break;
      }
    } else {
      while (li < lines.size()) {
        std::string_view ln = lines[li++];
        if (corrupted_line(ln)) {
          ok = false;
          break;
        }
        if (!Capture(*parts[part], ln, groups)) continue;
        AppendFrames(groups, &ctx.skip_frames, skip, cache, frames);
        break;
      }
    }
  }
  return ok;
}

// syzkaller's test for a damaged report: each stack heading present must be followed, within 15
// lines and before the next heading, by a frame; and some stack must be there at all.
std::string StackCorruption(std::string_view text, const std::vector<std::unique_ptr<re2::RE2>>& keywords,
                            const re2::RE2& stack_start_re) {
  bool has_stack = false;
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece m;
  std::vector<std::string_view> groups;
  for (size_t k = 0; k < keywords.size(); ++k) {
    if (!keywords[k]->Match(input, 0, input.size(), re2::RE2::UNANCHORED, &m, 1)) continue;
    std::string_view rest = text.substr(static_cast<size_t>(m.data() - text.data()));
    auto lines = SplitLines(rest);
    // Counted as a split on '\n' counts them: a final newline leaves an empty last line.
    const size_t count = lines.size() + (!rest.empty() && rest.back() == '\n' ? 1 : 0);
    if (count < 4) return "call trace is missed";
    bool found = false;
    for (size_t i = 1; i < lines.size() && i <= 15; ++i) {
      if (MayStartStack(lines[i]) && re2::RE2::PartialMatch(lines[i], stack_start_re)) break;
      if (lines[i].find("(stack is not available)") != std::string_view::npos || MatchFrameLine(lines[i], groups)) {
        found = true;
        break;
      }
    }
    has_stack = has_stack || found;
    // riscv's register dump is not a heading the stack must follow.
    const bool riscv = k + 1 == keywords.size();
    if (!found && !riscv) return "no frames in a stack trace";
  }
  return has_stack ? "" : "no stack trace in report";
}

}  // namespace

bool TitleCache::Matches(const re2::RE2& re, std::string_view name) {
  auto& m = verdicts_[&re];
  if (auto it = m.find(name); it != m.end()) return it->second;
  const bool matches = re2::RE2::PartialMatch(re2::StringPiece(name.data(), name.size()), re);
  // Bounded: a log with millions of distinct names (garbage) must not grow memory without end.
  if (m.size() < 100000) m.emplace(std::string(name), matches);
  return matches;
}

TitleResult TitleExtractor::Extract(int class_index, std::string_view text, TitleCache* cache) const {
  const auto& cc = catalog_->cls(class_index);
  StackContext sctx{catalog_->title_skip_frames(), *stack_start_re_, *corrupted_line_re_, *stall_anchor_re_};
  size_t start_pos = text.size();
  std::string desc;
  std::vector<std::string> alt;
  std::string corrupted;
  bool matched_title = false;
  const ReportCatalog::CompiledFormat* chosen = nullptr;
  std::vector<std::string_view> groups;
  for (const auto& f : cc.formats) {
    if (!f.title_literal.empty()) {
      size_t lit = text.find(f.title_literal);
      if (lit == std::string_view::npos || lit > start_pos) continue;  // no match, or none earlier
    }
    size_t pos = 0;
    if (!Capture(*f.title, text, groups, &pos)) continue;
    if (pos > start_pos || (pos == start_pos && !desc.empty())) continue;
    if (pos < start_pos) {
      desc.clear();
      alt.clear();
      chosen = nullptr;
      start_pos = pos;
    }
    matched_title = true;
    size_t from = pos;
    if (f.report && !Capture(*f.report, text, groups, &from)) continue;
    std::vector<std::string> args(groups.begin(), groups.end());
    corrupted.clear();
    if (f.stack) {
      std::vector<std::string> frames;
      bool ok = ExtractStackImpl(sctx, cache, f.stack->parts, f.stack->skip.get(), f.stack->extractor, text.substr(from), frames);
      for (size_t i = 0; !ok && i < f.stack->fallbacks.size(); ++i) {
        frames.clear();
        ok = ExtractStackImpl(sctx, cache, f.stack->fallbacks[i], f.stack->skip.get(), f.stack->extractor, text.substr(from),
                              frames);
      }
      if (!ok) corrupted = kNoFrames;
      args.insert(args.end(), frames.begin(), frames.end());
    }
    desc = Format(f.source->format, args);
    alt.clear();
    for (const auto& a : f.source->alt) alt.push_back(Format(a, args));
    chosen = &f;
  }
  if (desc.empty()) {
    if (matched_title) corrupted = "matched title but not report regexp";
    size_t pos = text.find(cc.source.header);
    if (pos != std::string_view::npos) {
      size_t end = text.find('\n', pos);
      desc = std::string(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    }
  }
  if (corrupted.empty() && chosen && chosen->source->corrupted) corrupted = "report format is marked as corrupted";

  TitleResult r;
  auto normalize = [this](std::string_view raw) { return NormalizeTitle(raw); };
  r.title = cache ? cache->Normalized(desc, normalize) : NormalizeTitle(desc);
  for (const auto& a : alt) {
    std::string t = cache ? cache->Normalized(a, normalize) : NormalizeTitle(a);
    if (t != r.title && std::find(r.alt_titles.begin(), r.alt_titles.end(), t) == r.alt_titles.end())
      r.alt_titles.push_back(std::move(t));
  }
  r.kind = chosen ? chosen->source->kind : cc.source.default_kind;
  if (corrupted.empty() && re2::RE2::PartialMatch(r.title, *corrupted_title_re_))
    corrupted = "title matches corrupted regexp";
  if (corrupted.empty() && chosen && !chosen->source->no_stack_trace)
    corrupted = StackCorruption(text, stack_keywords_, *stack_start_re_);
  r.corrupted_reason = corrupted;
  std::string g;
  if (re2::RE2::FullMatch(r.title, *guilty_frame_re_, &g) && g != "corrupted") r.guilty_frame = g;
  return r;
}

}  // namespace ktriage
