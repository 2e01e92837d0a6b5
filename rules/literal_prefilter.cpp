// LiteralPrefilter: FilteredRE2 gives each pattern's required literals; a 3-byte window hash over
// the lowercased line finds whether any is present.
#include "rules/literal_prefilter.h"

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>

namespace ktriage::rules {

namespace {

constexpr int kMinAtom = 3;

// Compiles `patterns` into `filter` and gives its atoms; false when some line could match a
// pattern without holding any atom (a pattern with no literal of kMinAtom bytes, or one RE2
// refuses, which linted patterns never are).
bool CompileFilter(const std::vector<std::string>& patterns, re2::FilteredRE2& filter, std::vector<std::string>& atoms) {
  for (const std::string& p : patterns) {
    int id = 0;
    re2::RE2::Options options;
    options.set_log_errors(false);
    if (filter.Add(p, options, &id) != re2::RE2::NoError) return false;
  }
  filter.Compile(&atoms);
  // Patterns without atoms are "unfiltered": they are potential matches of every line.
  std::vector<int> none, unfiltered;
  filter.AllPotentials(none, &unfiltered);
  return unfiltered.empty() && std::all_of(atoms.begin(), atoms.end(), [](const std::string& a) {
           return a.size() >= static_cast<size_t>(kMinAtom);
         });
}

}  // namespace

bool LiteralPrefilter::HasRequiredLiteral(const std::string& pattern) {
  re2::FilteredRE2 filter(kMinAtom);
  std::vector<std::string> atoms;
  return CompileFilter({pattern}, filter, atoms);
}

LiteralPrefilter::LiteralPrefilter(const std::vector<std::string>& patterns) {
  for (int c = 0; c < 256; ++c) lower_[c] = static_cast<unsigned char>(std::tolower(c));
  if (patterns.empty()) return;
  filter_ = std::make_unique<re2::FilteredRE2>(kMinAtom);
  if (!CompileFilter(patterns, *filter_, atoms_)) {
    passes_everything_ = true;
    return;
  }
  // Atoms are lowercase; every case variant of an atom's first three bytes gets the bucket, so
  // the scan hashes the line's bytes as they are and lowercases only to confirm a candidate.
  bucket_atoms_.resize(kBuckets);
  for (uint32_t i = 0; i < atoms_.size(); ++i) {
    const std::string& a = atoms_[i];
    for (int variant = 0; variant < 8; ++variant) {
      unsigned char c[3];
      for (int k = 0; k < 3; ++k) {
        const auto ch = static_cast<unsigned char>(a[static_cast<size_t>(k)]);
        c[k] = (variant >> k & 1) ? static_cast<unsigned char>(std::toupper(ch)) : ch;
      }
      const uint32_t b = Bucket(c[0], c[1], c[2]);
      bucket_bits_[b / 64] |= uint64_t{1} << (b % 64);
      if (bucket_atoms_[b].empty() || bucket_atoms_[b].back() != i) bucket_atoms_[b].push_back(i);
    }
  }
}

LiteralPrefilter::~LiteralPrefilter() = default;

void LiteralPrefilter::Candidates(std::string_view line, std::vector<int>& atoms, std::vector<int>& patterns,
                                  Cache& cache) const {
  atoms.clear();
  patterns.clear();
  const size_t n = line.size();
  if (n < 3) return;
  const auto* t = reinterpret_cast<const unsigned char*>(line.data());
  unsigned char a = t[0], b = t[1];
  for (size_t i = 0; i + 2 < n; ++i) {
    const unsigned char c = t[i + 2];
    const uint32_t bucket = Bucket(a, b, c);
    a = b;
    b = c;
    if (!(bucket_bits_[bucket / 64] & (uint64_t{1} << (bucket % 64)))) continue;
    for (uint32_t id : bucket_atoms_[bucket]) {
      const std::string& atom = atoms_[id];
      if (atom.size() > n - i) continue;
      size_t k = 0;
      while (k < atom.size() && lower_[t[i + k]] == static_cast<unsigned char>(atom[k])) ++k;
      if (k == atom.size()) atoms.push_back(static_cast<int>(id));
    }
  }
  if (atoms.empty()) return;
  std::sort(atoms.begin(), atoms.end());
  atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
  const std::string key(reinterpret_cast<const char*>(atoms.data()), atoms.size() * sizeof(int));
  if (auto it = cache.find(key); it != cache.end()) {
    patterns = it->second;
    return;
  }
  filter_->AllPotentials(atoms, &patterns);
  std::sort(patterns.begin(), patterns.end());
  constexpr size_t kMaxCached = 1 << 14;  // distinct literal sets; beyond, answers are recomputed
  if (cache.size() < kMaxCached) cache.emplace(key, patterns);
}

}  // namespace ktriage::rules
