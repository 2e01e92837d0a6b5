// Locates the real dumps made by corpora/dumps/make-dumps.sh (`make dumps`), for tests that need them.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "tests/fixture_cache.h"

namespace ktriage::testing {

// The newest complete dump set of a family (default: the reference family) under
// ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/dumps, if any.
inline std::optional<std::filesystem::path> DumpCacheDir(const KernelFamily& family = ReferenceFamily()) {
  return NewestFixtureDir("dumps", family.abi);
}

#define KTRIAGE_REQUIRE_DUMPS(dir)                                                                     \
  auto dir##_opt = ::ktriage::testing::DumpCacheDir();                                                  \
  if (!dir##_opt) GTEST_SKIP() << "no real dumps: run `make dumps` (corpora/dumps/make-dumps.sh)";   \
  const std::filesystem::path dir = *dir##_opt

}  // namespace ktriage::testing
