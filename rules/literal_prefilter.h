// LiteralPrefilter: which lines could match any of a set of patterns, decided by the literals
// they require (RE2's FilteredRE2 atoms), at a few instructions per byte, so that the RE2::Set
// only runs on the few lines that can match.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace re2 {
class FilteredRE2;
}

namespace ktriage::rules {

class LiteralPrefilter {
 public:
  // `patterns` in RE2 syntax, all valid. A pattern without a required literal of 3 or more
  // bytes (".*", "\d+ errors") makes every line a candidate.
  explicit LiteralPrefilter(const std::vector<std::string>& patterns);
  ~LiteralPrefilter();

  // The patterns (indexes in the constructor's list, ascending) whose required literals are in
  // `line` (a pattern may need two literals, or one of several): only they can match. Empty
  // when none can. `atoms` is the caller's scratch, reused across lines. Not to be called when
  // passes_everything().
  // `cache` (the caller's, per input) remembers the answer for each set of literals seen: a log
  // repeats the same few messages, and FilteredRE2's answer allocates.
  using Cache = std::unordered_map<std::string, std::vector<int>>;
  void Candidates(std::string_view line, std::vector<int>& atoms, std::vector<int>& patterns, Cache& cache) const;

  bool passes_everything() const { return passes_everything_; }

  // True when `pattern` (valid RE2) needs a literal of 3 or more bytes in every line it matches,
  // so that the prefilter can skip the lines without it. One pattern without makes every line of
  // every log run the whole rule set's regex set: rules lint warns.
  static bool HasRequiredLiteral(const std::string& pattern);
  size_t atom_count() const { return atoms_.size(); }

 private:
  // Atoms are found by a hash of their first three (lowercased) bytes.
  static uint32_t Bucket(unsigned char a, unsigned char b, unsigned char c) {
    return (uint32_t{a} * 961u + uint32_t{b} * 31u + c) & (kBuckets - 1);
  }
  static constexpr uint32_t kBuckets = 1u << 16;

  std::unique_ptr<re2::FilteredRE2> filter_;

  bool passes_everything_ = false;
  std::vector<std::string> atoms_;                       // lowercase, as FilteredRE2 gives them
  std::array<uint64_t, kBuckets / 64> bucket_bits_{};    // a window's bucket may start an atom
  std::vector<std::vector<uint32_t>> bucket_atoms_;      // bucket -> atoms starting there
  std::array<unsigned char, 256> lower_{};
};

}  // namespace ktriage::rules
