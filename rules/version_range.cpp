// VersionRange: parsing and numeric comparison of kernel releases.
#include "rules/version_range.h"

#include <algorithm>
#include <cctype>

#include "base/text.h"

namespace ktriage::rules {
namespace {

// Missing components compare as 0: 5.10 == 5.10.0.
int Compare(const std::vector<long>& a, const std::vector<long>& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    long x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace

std::vector<long> ReleaseNumbers(std::string_view release) {
  std::vector<long> numbers;
  size_t i = 0;
  while (i < release.size() && std::isdigit(static_cast<unsigned char>(release[i]))) {
    long v = 0;
    while (i < release.size() && std::isdigit(static_cast<unsigned char>(release[i])) && v < 1000000) {
      v = v * 10 + (release[i] - '0');
      ++i;
    }
    numbers.push_back(v);
    if (i + 1 < release.size() && release[i] == '.' && std::isdigit(static_cast<unsigned char>(release[i + 1]))) {
      ++i;
    } else {
      break;
    }
  }
  return numbers;
}

Result<VersionRange> VersionRange::Parse(std::string_view text) {
  VersionRange range;
  range.text_ = std::string(text);
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = Trim(text.substr(start, comma - start));
    start = comma + 1;
    if (part.empty()) return Error{"empty bound in release range '" + std::string(text) + "'"};
    Bound b{Bound::Op::kEq, {}};
    if (ConsumePrefix(part, ">=")) b.op = Bound::Op::kGe;
    else if (ConsumePrefix(part, "<=")) b.op = Bound::Op::kLe;
    else if (ConsumePrefix(part, "==")) b.op = Bound::Op::kEq;
    else if (ConsumePrefix(part, ">")) b.op = Bound::Op::kGt;
    else if (ConsumePrefix(part, "<")) b.op = Bound::Op::kLt;
    else if (ConsumePrefix(part, "=")) b.op = Bound::Op::kEq;
    part = Trim(part);
    b.version = ReleaseNumbers(part);
    if (b.version.empty() || ReleaseNumbers(part).size() != static_cast<size_t>(std::count(part.begin(), part.end(), '.') + 1)) {
      return Error{"'" + std::string(part) + "' in release range '" + std::string(text) +
                   "' is not a version like 5.10 or 5.10.120"};
    }
    range.bounds_.push_back(std::move(b));
    if (comma == text.size()) break;
  }
  return range;
}

bool VersionRange::Contains(std::string_view release) const {
  const std::vector<long> v = ReleaseNumbers(release);
  if (v.empty()) return false;
  for (const Bound& b : bounds_) {
    const int c = Compare(v, b.version);
    const bool ok = (b.op == Bound::Op::kGe && c >= 0) || (b.op == Bound::Op::kGt && c > 0) ||
                    (b.op == Bound::Op::kLe && c <= 0) || (b.op == Bound::Op::kLt && c < 0) ||
                    (b.op == Bound::Op::kEq && c == 0);
    if (!ok) return false;
  }
  return true;
}

bool VersionRange::Empty() const {
  // The tightest lower and upper bounds must leave room.
  const Bound* low = nullptr;
  const Bound* high = nullptr;
  for (const Bound& b : bounds_) {
    if (b.op == Bound::Op::kGe || b.op == Bound::Op::kGt || b.op == Bound::Op::kEq) {
      if (!low || Compare(b.version, low->version) > 0 ||
          (Compare(b.version, low->version) == 0 && b.op == Bound::Op::kGt)) low = &b;
    }
    if (b.op == Bound::Op::kLe || b.op == Bound::Op::kLt || b.op == Bound::Op::kEq) {
      if (!high || Compare(b.version, high->version) < 0 ||
          (Compare(b.version, high->version) == 0 && b.op == Bound::Op::kLt)) high = &b;
    }
  }
  if (!low || !high) return false;
  const int c = Compare(low->version, high->version);
  if (c > 0) return true;
  return c == 0 && (low->op == Bound::Op::kGt || high->op == Bound::Op::kLt);
}

}  // namespace ktriage::rules
