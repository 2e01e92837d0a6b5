// End-to-end cases as data (tests/cases/README.md): each *.case file holds a ktriage command line,
// the files it reads and what it must print; this one driver runs every case as its own test.
// KTRIAGE_UPDATE_CASES=1 rewrites the expected blocks from what the binary printed (for authoring;
// review the diff).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "tests/cli/run_binary.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

const fs::path kCases = KTRIAGE_SOURCE_DIR "/tests/cases";
constexpr int64_t kFileTime = 1795341600;  // 2026-11-22 10:00:00Z: the mtime of every FILE

// One block of a case file: `KEY <<EOF` ... `EOF`.
struct Block {
  std::string key;
  std::string arg;  // FILE's name
  std::string text;
};

struct Case {
  std::string run;                 // the command line after `ktriage`
  int exit_code = 0;
  std::string stdin_path = "/dev/null";
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::vector<std::string> ignore;  // JSON pointers, '*' for any array element or member
  std::vector<std::string> requires_;
  std::vector<Block> files;
  std::optional<Block> out;         // STDOUT or STDOUT_JSON
  std::optional<Block> err;
  std::vector<Block> outfiles;      // OUTFILE / OUTFILE_JSON: files the run writes under {tmp}
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Words with double quotes grouping ("a b" is one word); no escapes.
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, any = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (c == ' ' && !quoted) {
      if (any) words.push_back(word);
      word.clear();
      any = false;
    } else {
      word += c;
      any = true;
    }
  }
  if (any) words.push_back(word);
  return words;
}

Case Parse(const fs::path& path) {
  Case c;
  std::istringstream in(Slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (rest.size() >= 5 && rest.compare(rest.size() - 5, 5, "<<EOF") == 0) {
      Block b{key, rest.substr(0, rest.size() - 5), ""};
      while (!b.arg.empty() && b.arg.back() == ' ') b.arg.pop_back();
      bool closed = false;
      while (std::getline(in, line)) {
        if (line == "EOF") {
          closed = true;
          break;
        }
        b.text += line + "\n";
      }
      if (!closed) throw std::runtime_error(path.string() + ": " + key + " block without EOF");
      if (key == "FILE") c.files.push_back(b);
      else if (key == "STDOUT" || key == "STDOUT_JSON") c.out = b;
      else if (key == "STDERR") c.err = b;
      else if (key == "OUTFILE" || key == "OUTFILE_JSON") c.outfiles.push_back(b);
      else throw std::runtime_error(path.string() + ": unknown block " + key);
    } else if (key == "RUN") {
      c.run = rest;
    } else if (key == "EXIT") {
      c.exit_code = std::stoi(rest);
    } else if (key == "STDIN") {
      c.stdin_path = rest;
    } else if (key == "ENV") {
      if (rest[0] == '-') c.env.push_back({rest.substr(1), std::nullopt});
      else c.env.push_back({rest.substr(0, rest.find('=')), rest.substr(rest.find('=') + 1)});
    } else if (key == "IGNORE") {
      c.ignore.push_back(rest);
    } else if (key == "REQUIRES") {
      c.requires_.push_back(rest);
    } else {
      throw std::runtime_error(path.string() + ": unknown directive " + key);
    }
  }
  if (c.run.empty()) throw std::runtime_error(path.string() + ": no RUN line");
  return c;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

// Drops what `pointer` names ("/inputs/*/stats/seconds").
void Drop(ordered_json& j, const std::vector<std::string>& parts, size_t i) {
  if (i + 1 == parts.size()) {
    if (j.is_object()) j.erase(parts[i]);
    if (j.is_array() && parts[i] == "*") j.clear();
    return;
  }
  if (parts[i] == "*") {
    if (j.is_array() || j.is_object()) {
      for (auto& child : j) Drop(child, parts, i + 1);
    }
  } else if (j.is_object() && j.contains(parts[i])) {
    Drop(j[parts[i]], parts, i + 1);
  } else if (j.is_array() && std::all_of(parts[i].begin(), parts[i].end(), ::isdigit) &&
             std::stoul(parts[i]) < j.size()) {
    Drop(j[std::stoul(parts[i])], parts, i + 1);
  }
}

std::vector<std::string> Pointer(const std::string& pointer) {
  std::vector<std::string> parts;
  std::istringstream p(pointer.substr(1));
  for (std::string part; std::getline(p, part, '/');) parts.push_back(part);
  return parts;
}

// The first place where two documents differ, "" when they are equal.
std::string FirstDifference(const ordered_json& want, const ordered_json& got, const std::string& at) {
  if (want.type() != got.type()) return at + ": expected " + want.dump() + ", got " + got.dump();
  if (want.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (!got.contains(it.key())) return at + "/" + it.key() + ": missing";
      if (std::string d = FirstDifference(it.value(), got[it.key()], at + "/" + it.key()); !d.empty()) return d;
    }
    for (auto it = got.begin(); it != got.end(); ++it) {
      if (!want.contains(it.key())) return at + "/" + it.key() + ": not expected (" + it.value().dump() + ")";
    }
    return "";
  }
  if (want.is_array()) {
    for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
      if (std::string d = FirstDifference(want[i], got[i], at + "/" + std::to_string(i)); !d.empty()) return d;
    }
    if (want.size() != got.size()) {
      return at + ": expected " + std::to_string(want.size()) + " elements, got " + std::to_string(got.size());
    }
    return "";
  }
  return want == got ? "" : at + ": expected " + want.dump() + ", got " + got.dump();
}

// A JSON document, or JSON Lines: one document per line, compared as an array.
std::optional<ordered_json> ParseJson(const std::string& text) {
  try {
    return ordered_json::parse(text);
  } catch (const std::exception&) {
  }
  ordered_json lines = ordered_json::array();
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    try {
      lines.push_back(ordered_json::parse(line));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return lines;
}

class CaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ktriage-case-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    tmp_ = pattern;
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // Placeholder -> its value here, longest value first when output is turned back into placeholders.
  std::vector<std::pair<std::string, std::string>> vars_;
  fs::path tmp_;

  std::string Expand(std::string s) const {
    for (const auto& [name, value] : vars_) ReplaceAll(s, name, value);
    return s;
  }
  std::string Normalise(std::string s) const {
    auto sorted = vars_;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
    for (const auto& [name, value] : sorted) ReplaceAll(s, value, name);
    return s;
  }
};

TEST_P(CaseTest, Run) {
  const fs::path file = kCases / (GetParam() + ".case");
  const Case c = Parse(file);
  vars_ = {{"{source}", KTRIAGE_SOURCE_DIR}, {"{tmp}", tmp_.string()}};
  for (const std::string& r : c.requires_) {
    if (r == "dumps") {
      auto dumps = DumpCacheDir();
      if (!dumps) GTEST_SKIP() << "needs `make dumps`";
      vars_.push_back({"{dumps}", dumps->string()});
    } else if (r == "debuginfo") {
      auto debuginfo = DebuginfoCacheDir();
      if (!debuginfo) GTEST_SKIP() << "needs `make debuginfo`";
      vars_.push_back({"{debug_root}", DebuginfoDebugRoot(*debuginfo).string()});
    } else {
      FAIL() << file << ": unknown REQUIRES " << r;
    }
  }
  for (const Block& f : c.files) {
    const fs::path p = tmp_ / f.arg;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << f.text;
    // A fixed time, for what prints a file's mtime (triage: "seen ...").
    fs::last_write_time(p, fs::file_time_type::clock::from_sys(std::chrono::sys_seconds(std::chrono::seconds(kFileTime))));
  }
  const fs::path scratch = tmp_ / ".run";
  fs::create_directories(scratch);
  RunSpec spec;
  for (const std::string& w : Words(c.run)) spec.args.push_back(Expand(w));
  spec.stdin_path = Expand(c.stdin_path);
  spec.env = c.env;
  spec.env.push_back({"DEBUGINFOD_URLS", std::nullopt});  // hermetic
  spec.env.push_back({"XDG_CACHE_HOME", (tmp_ / ".cache").string()});
  spec.env.push_back({"XDG_DATA_HOME", (tmp_ / ".data").string()});
  const RunOutcome o = RunBinary(KTRIAGE_BINARY, spec, scratch.string());
  const std::string out = Normalise(o.out), err = Normalise(o.err);

  std::vector<std::pair<const Block*, std::string>> produced;  // each expected block and what came
  if (c.out) produced.push_back({&*c.out, out});
  if (c.err) produced.push_back({&*c.err, err});
  for (const Block& b : c.outfiles) produced.push_back({&b, Normalise(Slurp(tmp_ / b.arg))});

  if (std::getenv("KTRIAGE_UPDATE_CASES") != nullptr) {
    std::string text = Slurp(file);
    auto rewrite = [&](const Block& block, const std::string& actual) {
      const Block* b = &block;
      const std::string head = b->key + (b->arg.empty() ? "" : " " + b->arg) + " <<EOF\n";
      const size_t at = text.find(head);
      if (at == std::string::npos) return;
      std::string body = actual;
      // One document is kept pretty-printed, to read and to diff, without what IGNORE drops.
      if ((b->key == "STDOUT_JSON" || b->key == "OUTFILE_JSON") && ordered_json::accept(actual)) {
        ordered_json doc = ordered_json::parse(actual);
        for (const std::string& pointer : c.ignore) Drop(doc, Pointer(pointer), 0);
        body = doc.dump(2) + "\n";
      }
      text.replace(at + head.size(), b->text.size(), body);
    };
    for (const auto& [block, actual] : produced) rewrite(*block, actual);
    std::ofstream(file, std::ios::binary) << text;
  }

  EXPECT_EQ(o.exit_code, c.exit_code) << "stderr:\n" << o.err;
  for (const auto& [block, actual] : produced) {
    const std::string what = block->key + (block->arg.empty() ? "" : " " + block->arg);
    if (block->key.ends_with("_JSON")) {
      std::optional<ordered_json> want = ParseJson(block->text);
      std::optional<ordered_json> got = ParseJson(actual);
      ASSERT_TRUE(want) << file << ": the expected " << what << " is no JSON";
      ASSERT_TRUE(got) << what << " is no JSON:\n" << actual;
      for (const std::string& pointer : c.ignore) {
        Drop(*want, Pointer(pointer), 0);
        Drop(*got, Pointer(pointer), 0);
      }
      EXPECT_EQ(FirstDifference(*want, *got, ""), "") << what << " (placeholders put back):\n" << actual;
    } else {
      EXPECT_EQ(actual, block->text) << what;
    }
  }
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kCases)) {
    if (e.path().extension() == ".case") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cli, CaseTest, ::testing::ValuesIn(CaseNames()), TestName);

}  // namespace
}  // namespace ktriage::testing
