// TitleExtractor: turns the text of one report into its title, guilty frame, kind and corruption
// verdict, following syzkaller's conventions so that titles deduplicate the same way.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/report/report_catalog.h"

namespace re2 {
class RE2;
}

namespace ktriage {

struct TitleResult {
  std::string title;             // normalised: addresses -> ADDR, numbers -> NUM, lines -> LINE
  std::vector<std::string> alt_titles;  // coarser titles ("bad-access in f") that deduplicate across kinds
  std::string guilty_frame;      // function named by the title ("" when none)
  std::string corrupted_reason;  // "" when the report looks intact
  ReportKind kind = ReportKind::kOther;
};

// Memo of "does this skip-list regex match that function name" for one analysis (one thread): the
// same few hundred function names recur in every report of a log, and each answer costs a regex.
// Titles and signatures ask it of their own lists.
class TitleCache {
 public:
  // RE2::PartialMatch(name, re), answered from the memo when asked before.
  bool Matches(const re2::RE2& re, std::string_view name);
  // `normalize(raw)`, answered from the memo when asked before: the same crash repeats its title.
  template <typename Normalize>
  const std::string& Normalized(std::string_view raw, const Normalize& normalize) {
    if (auto it = titles_.find(raw); it != titles_.end()) return it->second;
    if (titles_.size() >= kMaxTitles) {
      scratch_ = normalize(raw);
      return scratch_;
    }
    return titles_.emplace(std::string(raw), normalize(raw)).first->second;
  }

 private:
  static constexpr size_t kMaxTitles = 100000;  // bounded like the verdicts'
  std::string scratch_;
  // Looked up by string_view: no copy of the name per lookup.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<const re2::RE2*, std::unordered_map<std::string, bool, NameHash, std::equal_to<>>> verdicts_;
  std::unordered_map<std::string, std::string, NameHash, std::equal_to<>> titles_;
};

class TitleExtractor {
 public:
  explicit TitleExtractor(std::shared_ptr<const ReportCatalog> catalog);
  ~TitleExtractor();

  // `text`: the report's lines joined with '\n', starting at the line that matched class
  // `class_index`, holding only lines of the report's own context, unreliable frames removed.
  // `cache` may be null; it must not be shared between threads.
  TitleResult Extract(int class_index, std::string_view text, TitleCache* cache = nullptr) const;

  // The normalisation syzkaller applies to every title (exposed for the corpus comparison).
  std::string NormalizeTitle(std::string_view title) const;

 private:
  std::shared_ptr<const ReportCatalog> catalog_;
  std::unique_ptr<re2::RE2> stack_start_re_;    // "Call Trace", "Allocated by task N:", ...
  std::unique_ptr<re2::RE2> corrupted_line_re_;
  std::unique_ptr<re2::RE2> corrupted_title_re_;
  std::unique_ptr<re2::RE2> stall_anchor_re_;
  std::unique_ptr<re2::RE2> guilty_frame_re_;
  std::vector<std::unique_ptr<re2::RE2>> stack_keywords_;  // each must be followed by frames
  struct Replacement;
  std::vector<Replacement> replacements_;
};

}  // namespace ktriage
