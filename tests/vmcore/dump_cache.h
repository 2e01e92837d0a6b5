// Locates the real dumps made by corpora/dumps/make-dumps.sh (`make dumps`), for tests that need them.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/fixture_cache.h"

namespace ktriage::testing {

// The newest complete dump set of a family (default: the reference family) under
// ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/dumps, if any.
inline std::optional<std::filesystem::path> DumpCacheDir(const KernelFamily& family = ReferenceFamily()) {
  return NewestFixtureDir("dumps", family.abi);
}

// A file of the family's scenario directory that ktriage reads in full: the kdump-compressed dump
// (on arm64, QEMU's 64 KiB blocks for the kernel's 4 KiB pages: read by DiskdumpPages).
inline std::string ReadableDumpName(const KernelFamily&) { return "vmcore.kdump-zlib"; }

// The family named `name` ("" or unknown: the reference family).
inline KernelFamily FindFamily(const std::string& name) {
  for (KernelFamily& f : KernelFamilies()) {
    if (f.name == name) return f;
  }
  return ReferenceFamily();
}

// `cases` once per family of corpora/families.txt, each copy's `family` member set: the real-dump
// tests that every kernel family must pass are instantiated with this.
// `keep`: which families (default: all); the walks of kernel data, for example, run only where
// kernel::WhyNotWalkable says they can. A case whose scenario and variant ("hung-task-kaslr") the
// family does not make is left out for it. A case on the kdump-compressed file is run on the family's
// ReadableDumpName instead (once, where that makes two cases one).
template <typename Case>
std::vector<Case> ForEachFamily(const std::vector<Case>& cases, bool (*keep)(const KernelFamily&) = nullptr) {
  std::vector<Case> out;
  for (const KernelFamily& f : KernelFamilies()) {
    if (keep != nullptr && !keep(f)) continue;
    for (Case c : cases) {
      bool made = false;
      for (const std::string& s : f.scenarios) {
        for (const std::string& v : f.variants) made |= c.scenario == s + "-" + v;
      }
      if (!made) continue;
      c.family = f.name;
      if (c.file == "vmcore.kdump-zlib") c.file = ReadableDumpName(f);
      const bool seen = std::any_of(out.begin(), out.end(), [&](const Case& o) {
        return o.family == c.family && o.scenario == c.scenario && o.file == c.file;
      });
      if (!seen) out.push_back(std::move(c));
    }
  }
  return out;
}

// "6.12-amd64" + "veth-softlockup-kaslr" + "vmcore.elf" -> a GoogleTest parameter name.
inline std::string ParamName(const std::string& text) {
  std::string n = text;
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

#define KTRIAGE_REQUIRE_DUMPS(dir)                                                                     \
  auto dir##_opt = ::ktriage::testing::DumpCacheDir();                                                  \
  if (!dir##_opt) GTEST_SKIP() << "no real dumps: run `make dumps` (corpora/dumps/make-dumps.sh)";   \
  const std::filesystem::path dir = *dir##_opt

}  // namespace ktriage::testing
