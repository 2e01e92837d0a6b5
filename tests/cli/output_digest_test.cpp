// Every public corpus log (syzkaller's reports, ABRT's oopses, the QEMU console logs, the sample)
// through one `ktriage analyze --format json`: each input's reports and findings, hashed, must
// equal corpora/output-digests.txt. Speed work must not change a byte of them; a change meant to
// change them (a better title) replaces the file with the one the failure names.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/run_binary.h"

namespace ktriage {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = KTRIAGE_SOURCE_DIR;
const fs::path kDigests = kSource / "corpora/output-digests.txt";

// The corpus files, relative to the source tree, sorted: test answers and scripts left out.
std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  auto add_dir = [&](const fs::path& dir, bool recursive, auto keep) {
    auto visit = [&](const fs::directory_entry& e) {
      if (e.is_regular_file() && keep(e.path())) files.push_back(fs::relative(e.path(), kSource).string());
    };
    if (recursive) {
      for (const auto& e : fs::recursive_directory_iterator(kSource / dir)) visit(e);
    } else {
      for (const auto& e : fs::directory_iterator(kSource / dir)) visit(e);
    }
  };
  add_dir("corpora/syzkaller-report", false, [](const fs::path& p) { return p.filename() != "README.md"; });
  add_dir("corpora/abrt-examples", false, [](const fs::path& p) { return p.extension() == ".test"; });
  add_dir("corpora/console", true, [](const fs::path& p) { return p.extension() == ".log"; });
  add_dir("corpora/samples", false, [](const fs::path& p) { return p.filename() != "README.md"; });
  std::sort(files.begin(), files.end());
  return files;
}

// FNV-1a, 64 bits: stable across machines and compilers, unlike std::hash.
std::string Digest(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::map<std::string, std::string> ReadDigests(const fs::path& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.find("  ");
    if (sp != std::string::npos) out[line.substr(sp + 2)] = line.substr(0, sp);
  }
  return out;
}

TEST(OutputDigests, EveryCorpusLogGivesTheSameReportsAndFindings) {
  const std::vector<std::string> files = CorpusFiles();
  ASSERT_GT(files.size(), 500u);
  std::string pattern = (fs::temp_directory_path() / "ktriage-digests-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;

  std::vector<std::string> args = {"analyze", "--format", "json"};
  for (const std::string& f : files) args.push_back((kSource / f).string());
  const testing::RunOutcome r = testing::RunKtriageOffline(args, dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  const nlohmann::json& inputs = doc.at("inputs");
  ASSERT_EQ(inputs.size(), files.size());

  // The reports and findings only: the symbols part names the debuginfo paths this machine searched.
  std::map<std::string, std::string> actual;
  size_t reports = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const nlohmann::json& in = inputs[i];
    reports += in.at("reports").size();
    actual[files[i]] = Digest(in.at("reports").dump() + "\n" + in.at("findings").dump());
  }
  EXPECT_GT(reports, files.size());  // most files hold a report, some several

  std::ostringstream file;
  file << "# ktriage analyze --format json: per corpus file, FNV-1a of its reports and findings\n"
       << "# (tests/cli/output_digest_test.cpp writes this file when they change)\n";
  for (const auto& [path, digest] : actual) file << digest << "  " << path << "\n";
  const fs::path written = dir.parent_path() / "ktriage-output-digests.txt";
  std::ofstream(written) << file.str();
  fs::remove_all(dir);

  const std::map<std::string, std::string> expected = ReadDigests(kDigests);
  std::vector<std::string> changed;
  for (const auto& [path, digest] : actual) {
    auto it = expected.find(path);
    if (it == expected.end() || it->second != digest) changed.push_back(path);
  }
  for (const auto& [path, digest] : expected)
    if (!actual.count(path)) changed.push_back(path + " (gone)");
  std::string list;
  for (size_t i = 0; i < changed.size() && i < 20; ++i) list += "  " + changed[i] + "\n";
  EXPECT_TRUE(changed.empty()) << changed.size() << " of " << files.size()
                               << " corpus files give other reports or findings than corpora/output-digests.txt says:\n"
                               << list << "if that is meant (not a speed change), cp " << written.string() << " "
                               << kDigests.string();
}

}  // namespace
}  // namespace ktriage
