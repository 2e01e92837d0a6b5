// The cache of real fixtures that corpora/ scripts make (dumps, debuginfo), per kernel family of
// corpora/families.txt: where it is, and the newest complete set of one kind and family.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace ktriage::testing {

// One line of corpora/families.txt.
struct KernelFamily {
  std::string name;  // "6.12-amd64"
  std::string abi;   // "6.12.115+deb12-cloud-amd64"
  std::string arch;  // "amd64", "arm64"
  std::vector<std::string> variants;
  std::vector<std::string> scenarios;
};

inline std::vector<KernelFamily> KernelFamilies() {
  std::vector<KernelFamily> out;
  std::ifstream in(KTRIAGE_FAMILIES_FILE);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    KernelFamily f;
    std::string variants;
    if (!(words >> f.name >> f.abi >> f.arch >> variants)) continue;
    std::istringstream v(variants);
    for (std::string s; std::getline(v, s, ',');) f.variants.push_back(s);
    for (std::string s; words >> s;) f.scenarios.push_back(s);
    out.push_back(std::move(f));
  }
  return out;
}

// The first family: the one whose exact outputs the tests pin.
inline KernelFamily ReferenceFamily() {
  std::vector<KernelFamily> all = KernelFamilies();
  return all.empty() ? KernelFamily{} : all.front();
}

// The newest directory under ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/<kind> made for kernel `abi`
// (named <abi>-<16 hex digits of key>) that holds a DONE file (and `also`, when given), if any.
inline std::optional<std::filesystem::path> NewestFixtureDir(const std::string& kind, const std::string& abi,
                                                             const std::string& also = "") {
  namespace fs = std::filesystem;
  fs::path root;
  if (const char* c = std::getenv("KTRIAGE_CACHE"); c && *c) root = c;
  else if (const char* h = std::getenv("HOME"); h && *h) root = fs::path(h) / ".cache/ktriage";
  else return std::nullopt;
  std::error_code ec;
  std::optional<fs::path> best;
  fs::file_time_type best_time{};
  for (const auto& e : fs::directory_iterator(root / kind, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != abi.size() + 17 || name.compare(0, abi.size() + 1, abi + "-") != 0) continue;
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
