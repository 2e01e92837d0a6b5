// Locates the real dumps made by corpora/dumps/make-dumps.sh (`make dumps`), for tests that need them.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace ktriage::testing {

// The newest complete dump set under ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/dumps, if any.
inline std::optional<std::filesystem::path> DumpCacheDir() {
  namespace fs = std::filesystem;
  fs::path root;
  if (const char* c = std::getenv("KTRIAGE_CACHE"); c && *c) root = c;
  else if (const char* h = std::getenv("HOME"); h && *h) root = fs::path(h) / ".cache/ktriage";
  else return std::nullopt;
  std::error_code ec;
  std::optional<fs::path> best;
  fs::file_time_type best_time{};
  for (const auto& e : fs::directory_iterator(root / "dumps", ec)) {
    if (!fs::exists(e.path() / "DONE")) continue;
    auto t = fs::last_write_time(e.path() / "DONE", ec);
    if (!best || t > best_time) {
      best = e.path();
      best_time = t;
    }
  }
  return best;
}

#define KTRIAGE_REQUIRE_DUMPS(dir)                                                                     \
  auto dir##_opt = ::ktriage::testing::DumpCacheDir();                                                  \
  if (!dir##_opt) GTEST_SKIP() << "no real dumps: run `make dumps` (corpora/dumps/make-dumps.sh)";   \
  const std::filesystem::path dir = *dir##_opt

}  // namespace ktriage::testing
