// Locates the real debuginfo extracted by corpora/debuginfo/make-debuginfo.sh (`make debuginfo`):
// Debian's vmlinux and modules with DWARF, in the package's usr/lib/debug layout.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "tests/fixture_cache.h"

namespace ktriage::testing {

// The newest complete debuginfo of a family (default: the reference family) under
// ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/debuginfo, if any.
inline std::optional<std::filesystem::path> DebuginfoCacheDir(const KernelFamily& family = ReferenceFamily()) {
  return NewestFixtureDir("debuginfo", family.abi, "build-ids.txt");
}

// One ELF file of the directory and its GNU build-id (lowercase hex).
struct BuildIdFile {
  std::filesystem::path path;  // absolute
  std::string build_id;
};

// build-ids.txt: vmlinux first, then the modules, sorted by path.
inline std::vector<BuildIdFile> DebuginfoBuildIds(const std::filesystem::path& dir) {
  std::vector<BuildIdFile> files;
  std::ifstream in(dir / "build-ids.txt");
  for (std::string line; std::getline(in, line);) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    files.push_back({dir / line.substr(0, tab), line.substr(tab + 1)});
  }
  return files;
}

// The kernel ABI the directory was made for, e.g. "6.1.0-50-cloud-amd64" (versions.txt).
inline std::string DebuginfoKernelAbi(const std::filesystem::path& dir) {
  std::ifstream in(dir / "versions.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("kernel_abi=", 0) == 0) return line.substr(11);
  }
  return {};
}

// usr/lib/debug: the root of Debian's layout (boot/, lib/modules/<abi>/, .build-id/).
inline std::filesystem::path DebuginfoDebugRoot(const std::filesystem::path& dir) {
  return dir / "usr/lib/debug";
}

// usr/lib/debug/boot/vmlinux-<abi>.
inline std::filesystem::path DebuginfoVmlinux(const std::filesystem::path& dir) {
  return DebuginfoDebugRoot(dir) / "boot" / ("vmlinux-" + DebuginfoKernelAbi(dir));
}

// usr/lib/debug/lib/modules/<abi>: the modules directory (kernel/.../NAME.ko below it).
inline std::filesystem::path DebuginfoModulesDir(const std::filesystem::path& dir) {
  return DebuginfoDebugRoot(dir) / "lib/modules" / DebuginfoKernelAbi(dir);
}

// The extracted NAME.ko ("veth", "8021q"); nullopt for modules the flavour does not build (igb).
inline std::optional<BuildIdFile> DebuginfoModule(const std::filesystem::path& dir, const std::string& name) {
  for (auto& f : DebuginfoBuildIds(dir)) {
    if (f.path.filename() == name + ".ko") return f;
  }
  return std::nullopt;
}

#define KTRIAGE_REQUIRE_DEBUGINFO(dir)                                                                  \
  auto dir##_opt = ::ktriage::testing::DebuginfoCacheDir();                                             \
  if (!dir##_opt)                                                                                       \
    GTEST_SKIP() << "no real debuginfo: run `make debuginfo` (corpora/debuginfo/make-debuginfo.sh)";    \
  const std::filesystem::path dir = *dir##_opt

}  // namespace ktriage::testing
