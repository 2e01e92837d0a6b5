// VersionRange: kernel release constraints like ">= 5.10, < 5.10.120", compared numerically on
// the release's leading numbers (6.1.0-50-cloud-amd64 is 6.1.0).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ktriage::rules {

// The leading dotted numbers of a release: "6.1.0-50-cloud-amd64" -> {6, 1, 0}; empty when the
// text does not start with a number.
std::vector<long> ReleaseNumbers(std::string_view release);

class VersionRange {
 public:
  // Comma-separated bounds, each one of >=, >, <=, <, == (or =) and a version: ">= 5.10, < 5.10.120".
  static Result<VersionRange> Parse(std::string_view text);
  bool Contains(std::string_view release) const;
  bool Empty() const;  // no version can satisfy it (">= 6, < 5")
  const std::string& text() const { return text_; }

 private:
  struct Bound {
    enum class Op { kGe, kGt, kLe, kLt, kEq } op;
    std::vector<long> version;
  };
  std::vector<Bound> bounds_;
  std::string text_;
};

}  // namespace ktriage::rules
