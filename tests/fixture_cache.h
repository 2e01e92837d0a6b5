// The cache of real fixtures that corpora/ scripts make (dumps, debuginfo): where it is, and the
// newest complete set of one kind, for the tests that need them.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace ktriage::testing {

// The newest directory under ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/<kind> that holds a DONE
// file (and `also`, when given), if any.
inline std::optional<std::filesystem::path> NewestFixtureDir(const std::string& kind, const std::string& also = "") {
  namespace fs = std::filesystem;
  fs::path root;
  if (const char* c = std::getenv("KTRIAGE_CACHE"); c && *c) root = c;
  else if (const char* h = std::getenv("HOME"); h && *h) root = fs::path(h) / ".cache/ktriage";
  else return std::nullopt;
  std::error_code ec;
  std::optional<fs::path> best;
  fs::file_time_type best_time{};
  for (const auto& e : fs::directory_iterator(root / kind, ec)) {
    if (!fs::exists(e.path() / "DONE") || (!also.empty() && !fs::exists(e.path() / also))) continue;
    auto t = fs::last_write_time(e.path() / "DONE", ec);
    if (!best || t > best_time) {
      best = e.path();
      best_time = t;
    }
  }
  return best;
}

}  // namespace ktriage::testing
