// Builds the trees and archives the triage tests read: real corpus logs, real dumps (when cached),
// archives made with the real tar, zip, xz and gzip, and hand-made tar headers for names no tool
// writes (`../evil`).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "analyzer/cli/commands.h"

namespace ktriage::testing {

namespace fs = std::filesystem;

inline std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Runs a shell command in `dir`; fails the test when it fails.
inline void Shell(const fs::path& dir, const std::string& command) {
  const std::string full = "cd '" + dir.string() + "' && " + command + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(full.c_str()), 0) << full;
}

// A ustar archive of (name, data) members, names written as given (tar(1) refuses `../`).
inline std::string MakeTar(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out;
  for (const auto& [name, data] : members) {
    char h[512] = {};
    std::snprintf(h, 100, "%s", name.c_str());
    std::snprintf(h + 100, 8, "%07o", 0644);
    std::snprintf(h + 108, 8, "%07o", 0);
    std::snprintf(h + 116, 8, "%07o", 0);
    std::snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(data.size()));
    std::snprintf(h + 136, 12, "%011o", 1763800000);
    h[156] = '0';
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    out.append(h, 512);
    out += data;
    out.append((512 - data.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ktriage-triage-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline const char* kSourceDir = KTRIAGE_SOURCE_DIR;

// A fleet collection: three hosts' logs (real console logs, a gzip sample, syzkaller reports),
// a binary and a note that are not logs. Returns the log files (what per-file analysis reads).
inline std::vector<fs::path> BuildTree(const fs::path& root) {
  const fs::path src = kSourceDir;
  std::vector<fs::path> logs;
  for (const auto& e : fs::directory_iterator(src / "corpora/console/debian-6.1-qemu")) {
    if (e.path().extension() != ".log") continue;
    fs::path to = root / "hosts/web1" / e.path().filename();
    fs::create_directories(to.parent_path());
    fs::copy_file(e.path(), to, fs::copy_options::overwrite_existing);
    logs.push_back(to);
  }
  fs::path gz = root / "hosts/web2/kern.log.2.gz";
  fs::create_directories(gz.parent_path());
  fs::copy_file(src / "corpora/samples/veth-softlockup.log.gz", gz, fs::copy_options::overwrite_existing);
  logs.push_back(gz);
  std::vector<fs::path> reports;
  for (const auto& e : fs::directory_iterator(src / "corpora/syzkaller-report")) {
    if (e.path().filename() != "README.md") reports.push_back(e.path());
  }
  std::sort(reports.begin(), reports.end());
  for (size_t i = 0; i < reports.size() && i < 40; ++i) {
    fs::path to = root / "hosts/web3" / ("dmesg-" + reports[i].filename().string() + ".log");
    fs::create_directories(to.parent_path());
    fs::copy_file(reports[i], to, fs::copy_options::overwrite_existing);
    logs.push_back(to);
  }
  std::string binary(8192, '\0');
  for (size_t i = 0; i < binary.size(); i += 7) binary[i] = static_cast<char>(i);
  Write(root / "misc/blob.bin", binary);
  Write(root / "misc/notes.txt", "rack 12, row 4\nreplace fan\n");
  std::sort(logs.begin(), logs.end());
  return logs;
}

// A ktriage command run in-process through the command table.
struct CliOutcome {
  int code = -1;
  std::string out;
  std::string err;
};

inline CliOutcome RunKtriage(std::vector<std::string> args) {
  std::ostringstream out, err;
  cli::CliContext context(out, err);
  CliOutcome o;
  o.code = cli::RunCli(args, context);
  o.out = out.str();
  o.err = err.str();
  return o;
}

// The real console logs of the QEMU crash scenarios.
inline const std::string kConsoleLogs = KTRIAGE_SOURCE_DIR "/corpora/console/debian-6.1-qemu";

}  // namespace ktriage::testing
