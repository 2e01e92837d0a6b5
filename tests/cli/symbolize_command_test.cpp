// `ktriage symbolize` end to end: the real binary on the real console logs of Debian's 6.1 kernel
// with that kernel's real debuginfo, compared line by line with the kernel's own
// scripts/decode_stacktrace.sh run on the same input.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli/run_binary.h"
#include "tests/symbols/debuginfo_cache.h"

namespace ktriage {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keys in the order written: the order is the contract
using testing::RunBinary;
using testing::RunOutcome;
using testing::RunSpec;

const std::string kConsoleDir = KTRIAGE_SOURCE_DIR "/corpora/console/debian-6.1-qemu";
const std::string kVethLog = kConsoleDir + "/veth-softlockup.log";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Lines without their "\n"; a last line without one counts too.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string WithoutCr(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Hand-written matching: std::regex is avoided (GCC 12 warns inside it under ASan).
bool IsSymbolByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}
bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
size_t HexRun(const std::string& s, size_t at) {
  size_t n = 0;
  while (at + n < s.size() && IsLowerHex(s[at + n])) ++n;
  return n;
}

// A "name+0xoffset/0xsize" printed in a line.
struct PrintedSymbol {
  size_t start = 0;
  size_t end = 0;  // one past the size
  std::string name;
  std::string offset;
  std::string size;
};

std::vector<PrintedSymbol> PrintedSymbols(const std::string& line) {
  std::vector<PrintedSymbol> found;
  for (size_t plus = line.find("+0x"); plus != std::string::npos; plus = line.find("+0x", plus + 1)) {
    size_t start = plus;
    while (start > 0 && IsSymbolByte(line[start - 1])) --start;
    const size_t off = HexRun(line, plus + 3);
    const size_t slash = plus + 3 + off;
    if (start == plus || off == 0 || line.compare(slash, 3, "/0x") != 0) continue;
    const size_t size = HexRun(line, slash + 3);
    if (size == 0) continue;
    found.push_back({start, slash + 3 + size, line.substr(start, plus - start), line.substr(plus + 3, off),
                     line.substr(slash + 3, size)});
  }
  return found;
}

// Removes every "<prefix>...<up to and including `until`>" occurrence.
std::string Erase(std::string s, const std::string& prefix, char until) {
  for (size_t at = s.find(prefix); at != std::string::npos; at = s.find(prefix, at)) {
    size_t end = s.find(until, at + prefix.size());
    if (end == std::string::npos) break;
    s.erase(at, end + 1 - at);
  }
  return s;
}

std::optional<fs::path> FindTool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string Capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[65536];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  pclose(pipe);
  return out;
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The kernel's own script, as bench/symbolize.sh extracts it from Debian's linux-source package.
std::optional<fs::path> FindDecodeStacktrace() {
  fs::path cache;
  if (const char* c = std::getenv("KTRIAGE_CACHE"); c && *c) cache = c;
  else if (const char* h = std::getenv("HOME"); h && *h) cache = fs::path(h) / ".cache/ktriage";
  else return std::nullopt;
  std::error_code ec;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(cache / "bench", ec)) {
    if (fs::exists(e.path() / "scripts/decode_stacktrace.sh")) found.push_back(e.path() / "scripts/decode_stacktrace.sh");
  }
  if (found.empty()) return std::nullopt;
  std::sort(found.begin(), found.end());
  return found.back();
}

// The `field` column of the table under docs/json.md's "## `ktriage symbolize --format json`".
std::vector<std::string> DocumentedSymbolizeFields() {
  std::ifstream in(KTRIAGE_SOURCE_DIR "/docs/json.md");
  std::vector<std::string> fields;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) inside = line == "## `ktriage symbolize --format json`";
    if (inside && line.rfind("| `", 0) == 0) fields.push_back(line.substr(3, line.find('`', 3) - 3));
  }
  return fields;
}

class SymbolizeCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ktriage-symbolize-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // No debuginfod server is ever asked: local files only, whatever the developer's profile says.
  RunOutcome Run(std::vector<std::string> args, const std::string& stdin_path = "/dev/null") {
    RunSpec spec;
    spec.args = {"symbolize"};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.env = {{"DEBUGINFOD_URLS", std::nullopt}};
    spec.stdin_path = stdin_path;
    return RunBinary(KTRIAGE_BINARY, spec, dir_.string());
  }

  std::string WriteFile(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

  std::string MakeDir(const std::string& name) {
    fs::create_directories(dir_ / name);
    return (dir_ / name).string();
  }

  fs::path dir_;
};

TEST_F(SymbolizeCommand, ConsoleLogGetsSourceLinesForNetdevPickTx) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  RunOutcome r = Run({"--vmlinux", testing::DebuginfoVmlinux(dir).string(), "--modules",
                      testing::DebuginfoModulesDir(dir).string(), kVethLog});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> in = Lines(ReadFile(kVethLog));
  const std::vector<std::string> out = Lines(r.out);
  ASSERT_EQ(out.size(), in.size()) << "every line is echoed, one output line per input line";
  size_t pick_tx = 0;
  size_t rewritten = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (Contains(in[i], "netdev_pick_tx+0x")) {
      ++pick_tx;
      EXPECT_TRUE(Contains(out[i], "netdev_pick_tx (net/core/dev.c:")) << "line " << i + 1 << ": " << out[i];
    }
    if (out[i] != in[i]) {
      ++rewritten;
      EXPECT_TRUE(Contains(in[i], "+0x")) << "only frame lines change; line " << i + 1 << ": " << in[i];
    }
  }
  EXPECT_GE(pick_tx, 8u);
  EXPECT_GE(rewritten, 200u);
  // The test module of the QEMU scenario has no debuginfo anywhere: said once, at the end.
  EXPECT_TRUE(Contains(r.err, "ktriage: note: no debuginfo for module ktriage_test")) << r.err;
  EXPECT_EQ(r.err.find("ktriage: note: no debuginfo for module ktriage_test"),
            r.err.rfind("ktriage: note: no debuginfo for module ktriage_test"));
}

TEST_F(SymbolizeCommand, ReleaseComesFromTheLastCpuLineBeforeTheFrame) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  const std::string frame = "[   16.751811]  netdev_pick_tx+0x5/0x2e0";
  const std::string log = WriteFile(
      "releases.log", frame + "\n" +
                          "[   16.751811] CPU: 1 PID: 105 Comm: ping Tainted: G           OE      " +
                          testing::DebuginfoKernelAbi(dir) + " #1  Debian 6.1.176-1\n" + frame + "\n" +
                          "[   17.000000] CPU: 0 PID: 1 Comm: init Not tainted 0.0.0-ktriage-none #1\n" + frame + "\n");
  // No --vmlinux, no -r: the debug root in Debian's layout is found by the release the log prints.
  RunOutcome r = Run({"--debug-root", testing::DebuginfoDebugRoot(dir).string(), log});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out = Lines(r.out);
  ASSERT_EQ(out.size(), 5u) << r.out;
  EXPECT_EQ(out[0], frame) << "no release printed yet";
  EXPECT_EQ(out[2], "[   16.751811] netdev_pick_tx (net/core/dev.c:4203) ");
  EXPECT_EQ(out[4], frame) << "no debuginfo for the release printed last";
  EXPECT_TRUE(Contains(r.err, "0.0.0-ktriage-none")) << r.err;
}

// decode_stacktrace.sh as its users run it, with two changes that keep its output line for line
// with its input: decodecode (run for "Code:" lines) is `cat`, and PATH holds only the tools it
// needs, without debuginfod-find (with it, the 6.1 script swallows every "PID: N Comm:" line).
std::string RunDecodeStacktrace(const fs::path& script, const fs::path& work, const fs::path& vmlinux,
                                const fs::path& modules, const std::string& input) {
  fs::create_directories(work / "bin");
  fs::copy_file(script, work / "decode_stacktrace.sh", fs::copy_options::overwrite_existing);
  std::ofstream(work / "decodecode") << "#!/bin/sh\nexec cat\n";
  chmod((work / "decodecode").c_str(), 0755);
  for (const char* tool : {"addr2line", "nm", "readelf", "awk", "find", "grep", "dirname", "cat"}) {
    if (auto path = FindTool(tool)) fs::create_symlink(*path, work / "bin" / tool);
  }
  return Capture("env PATH=" + Quote((work / "bin").string()) + " " + Quote(FindTool("bash")->string()) + " " +
                 Quote((work / "decode_stacktrace.sh").string()) + " " + Quote(vmlinux.string()) + " auto " +
                 Quote(modules.string()) + " < " + Quote(input) + " 2>/dev/null");
}

// What ktriage prints differently on purpose or for want of data, taken off the script's line:
// the symbols library gives no DWARF discriminators, and makes absolute paths under Debian's
// build tree (assembly files) relative to the tree, where the script's "auto" base path fails.
std::string WithoutKnownDifferences(const std::string& line) {
  return Erase(Erase(line, " (discriminator ", ')'), "/build/reproducible-path/linux-", '/');
}

// eu-addr2line -i at `address`: the independent judge where binutils' addr2line and ktriage
// disagree. Its paths lose the build directory and columns, as ktriage's do.
std::string ElfutilsChain(const fs::path& binary, uint64_t address) {
  std::ostringstream hex;
  hex << "0x" << std::hex << address;
  std::string chain;
  for (std::string line : Lines(Capture("eu-addr2line -i -e " + Quote(binary.string()) + " " + hex.str()))) {
    if (size_t at = line.find("debian/build/build_"); at != std::string::npos) {
      line.erase(0, line.find('/', at + 19) + 1);
    }
    line = Erase(line, "/build/reproducible-path/linux-", '/');
    const size_t last = line.rfind(':');
    const size_t before = last == std::string::npos || last == 0 ? std::string::npos : line.rfind(':', last - 1);
    if (before != std::string::npos && line.find_first_not_of("0123456789", before + 1) == last) line.resize(last);
    chain += (chain.empty() ? "" : " ") + line;
  }
  return chain;
}

// The script's line holds "NAME (FILE:LINE...)": it symbolized the frame.
bool ScriptSymbolized(const std::string& line) {
  const size_t open = line.find(" (");
  const size_t close = open == std::string::npos ? std::string::npos : line.find(')', open);
  if (close == std::string::npos) return false;
  const size_t colon = line.find(':', open);
  return colon < close && colon + 1 < line.size() && line[colon + 1] >= '0' && line[colon + 1] <= '9';
}

// The symbol's first address as the script takes it: nm's first "t"/"T" line of that name.
std::map<std::string, uint64_t> NmFirstTextSymbols(const fs::path& binary) {
  std::map<std::string, uint64_t> first;
  std::istringstream nm(Capture("nm " + Quote(binary.string())));
  for (std::string addr, type, name; nm >> addr >> type >> name;) {
    if (type == "t" || type == "T") first.emplace(name, std::stoull(addr, nullptr, 16));
  }
  return first;
}

struct Comparison {
  size_t rewritten = 0;             // lines ktriage rewrote
  size_t identical = 0;             // ... byte for byte as the script, less the known differences
  size_t discriminators = 0;        // ... of which the script's had a " (discriminator N)"
  std::vector<std::string> judged;  // ... otherwise, where eu-addr2line agrees with ktriage
};

// Every line ktriage rewrote must be the script's line; where they differ, eu-addr2line must side
// with ktriage (at the printed address, or one byte before it for a return address whose printed
// address no function covers). Lines the script rewrote and ktriage did not must be frames whose
// offset is the function's size, which no function covers in vmlinux's DWARF.
Comparison CompareWithScript(const std::vector<std::string>& in, const std::vector<std::string>& script,
                             const std::vector<std::string>& ours, const fs::path& vmlinux) {
  Comparison c;
  std::optional<std::map<std::string, uint64_t>> nm;
  EXPECT_EQ(script.size(), in.size());
  EXPECT_EQ(ours.size(), in.size());
  for (size_t i = 0; i < std::min({in.size(), script.size(), ours.size()}); ++i) {
    const std::string expected = WithoutKnownDifferences(script[i]);
    const std::vector<PrintedSymbol> printed = PrintedSymbols(in[i]);
    if (ours[i] == in[i]) {
      if (ScriptSymbolized(script[i])) {
        EXPECT_TRUE(!printed.empty() && printed.back().offset == printed.back().size)
            << "line " << i + 1 << " symbolized by the script only:\n  " << in[i] << "\n  " << script[i];
      }
      continue;
    }
    ++c.rewritten;
    if (ours[i] == expected) {
      ++c.identical;
      c.discriminators += expected != script[i];
      continue;
    }
    if (!nm) nm = NmFirstTextSymbols(vmlinux);
    auto base = printed.empty() ? nm->end() : nm->find(printed.back().name);
    const size_t open = ours[i].find(" (");
    const size_t close = ours[i].rfind(") ");
    if (base == nm->end() || open == std::string::npos || close == std::string::npos || close < open) {
      ADD_FAILURE() << "line " << i + 1 << " is no frame the script would read:\n  " << in[i] << "\n  " << ours[i];
      continue;
    }
    const std::string chain = ours[i].substr(open + 2, close - open - 2);
    const uint64_t address = base->second + std::stoull(printed.back().offset, nullptr, 16);
    EXPECT_TRUE(chain == ElfutilsChain(vmlinux, address) || chain == ElfutilsChain(vmlinux, address - 1))
        << "line " << i + 1 << ":\n  input:    " << in[i] << "\n  script:   " << script[i] << "\n  ktriage:  " << ours[i]
        << "\n  eu-addr2line: " << ElfutilsChain(vmlinux, address);
    c.judged.push_back("line " + std::to_string(i + 1) + ": script '" + script[i] + "', ktriage '" + ours[i] + "'");
  }
  return c;
}

TEST_F(SymbolizeCommand, SymbolizedLinesAreByteExactWithDecodeStacktraceSh) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  std::optional<fs::path> script = FindDecodeStacktrace();
  if (!script) {
    GTEST_SKIP() << "no decode_stacktrace.sh under ~/.cache/ktriage/bench/*/scripts/ (bench/symbolize.sh extracts it "
                    "from Debian's linux-source package)";
  }
  for (const char* tool : {"bash", "addr2line", "nm", "readelf", "awk", "find", "grep", "dirname", "cat", "eu-addr2line"}) {
    if (!FindTool(tool)) GTEST_SKIP() << tool << " is missing: decode_stacktrace.sh and the judge need it";
  }
  const fs::path vmlinux = testing::DebuginfoVmlinux(dir);
  const fs::path modules = testing::DebuginfoModulesDir(dir);
  std::optional<testing::BuildIdFile> veth = testing::DebuginfoModule(dir, "veth");
  ASSERT_TRUE(veth);

  // The console log has no frames of modules with debuginfo: veth_xmit frames are added in every
  // form the script reads (plain, "? ", RIP with a segment, [<address>], build-id after the name),
  // with the size kallsyms would print (the distance to the next text symbol, as `nm -n` lists them).
  std::istringstream nm(Capture("nm -n " + Quote(veth->path.string())));
  std::optional<uint64_t> start, next;
  for (std::string addr, type, name; nm >> addr >> type >> name;) {
    if (type != "t" && type != "T") continue;
    if (start && !next) next = std::stoull(addr, nullptr, 16);
    if (name == "veth_xmit") start = std::stoull(addr, nullptr, 16);
  }
  ASSERT_TRUE(start && next) << "veth_xmit and the symbol after it in " << veth->path;
  std::ostringstream size;
  size << std::hex << *next - *start;
  const std::string xmit = "veth_xmit+0x10/0x" + size.str();
  const std::string module_log = WriteFile(
      "module.log", "[   20.000000]  " + xmit + " [veth]\n" + "[   20.000001] RIP: 0010:veth_xmit+0x8c/0x" + size.str() +
                        " [veth " + veth->build_id + "]\n" + "[   20.000002]  ? veth_xmit+0x100/0x" + size.str() +
                        " [veth]\n" + "[   20.000003]  [<ffffffffc0123456>] " + xmit + " [veth]\n");

  for (const std::string& log : {kVethLog, module_log}) {
    const std::string script_out = RunDecodeStacktrace(*script, dir_ / "script", vmlinux, modules, log);
    fs::remove_all(dir_ / "script");
    RunOutcome r = Run({"--vmlinux", vmlinux.string(), "--modules", modules.string(), log});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Comparison c = CompareWithScript(Lines(ReadFile(log)), Lines(script_out), Lines(r.out), vmlinux);
    std::cout << log << ": " << c.rewritten << " lines symbolized; " << c.identical
              << " byte-exact with decode_stacktrace.sh, " << c.discriminators
              << " of them less its discriminators; " << c.judged.size()
              << " different, where eu-addr2line confirms ktriage (at the address, or one byte before)\n";
    for (const std::string& j : c.judged) std::cout << "  " << j << "\n";
    if (log == module_log) {
      EXPECT_EQ(c.rewritten, 4u) << r.out;
      EXPECT_EQ(c.identical, 4u) << "module frames are byte-exact:\n" << script_out << "\n" << r.out;
    } else {
      EXPECT_GE(c.rewritten, 200u);
      EXPECT_GE(c.identical, c.rewritten * 95 / 100) << "most lines byte-exact, the rest judged by eu-addr2line";
    }
  }
}

TEST_F(SymbolizeCommand, JsonLinesHoldEveryFrameAsAnalyzeWritesIt) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  const std::vector<std::string> debuginfo = {"--vmlinux", testing::DebuginfoVmlinux(dir).string(), "--modules",
                                              testing::DebuginfoModulesDir(dir).string()};
  std::vector<std::string> args = debuginfo;
  args.insert(args.end(), {"--format", "json", kVethLog});
  RunOutcome r = Run(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // The same frames as `analyze` writes them, for the frame keys and the source lines.
  RunSpec analyze;
  analyze.args = {"analyze", "--format", "json"};
  analyze.args.insert(analyze.args.end(), debuginfo.begin(), debuginfo.end());
  analyze.args.push_back(kVethLog);
  analyze.env = {{"DEBUGINFOD_URLS", std::nullopt}};
  json doc = json::parse(RunBinary(KTRIAGE_BINARY, analyze, dir_.string()).out);
  const json& report = doc["inputs"][0]["reports"][0];
  ASSERT_TRUE(report.is_object());
  std::map<std::string, json> analyzed;  // "function+0xoffset" -> frame of the first report
  for (const json& f : report["frames"]) {
    if (!f["offset"].is_string()) continue;  // an address the kernel could not name ("? 0xffffffffc0450000")
    analyzed.emplace(f["function"].get<std::string>() + "+" + f["offset"].get<std::string>(), f);
  }
  std::vector<std::string> frame_keys;
  for (const auto& item : report["frames"][0].items()) frame_keys.push_back(item.key());

  const std::vector<std::string> in = Lines(ReadFile(kVethLog));
  // Lines that are only a frame: "[ TIMESTAMP]  [? ]name+0xoff/0xsize[ [module]]".
  size_t expected_frames = 0;
  for (const std::string& raw : in) {
    const std::string line = WithoutCr(raw);
    const std::vector<PrintedSymbol> printed = PrintedSymbols(line);
    const size_t stamp_end = line.find("]  ");
    if (line.empty() || line[0] != '[' || printed.size() != 1 || stamp_end == std::string::npos) continue;
    const size_t frame_start = stamp_end + (line.compare(stamp_end + 3, 2, "? ") == 0 ? 5 : 3);
    const std::string tail = line.substr(printed[0].end);
    expected_frames += printed[0].start == frame_start && (tail.empty() || (tail.rfind(" [", 0) == 0 && tail.back() == ']'));
  }

  size_t objects = 0, pick_tx = 0, same_as_analyze = 0;
  uint64_t previous = 0;
  for (const std::string& line : Lines(r.out)) {
    json j = json::parse(line);  // one object per line: JSON Lines
    ++objects;
    std::vector<std::string> keys, fkeys;
    for (const auto& item : j.items()) keys.push_back(item.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"line", "text", "kernel_release", "frame"}));
    EXPECT_EQ(keys, DocumentedSymbolizeFields()) << "docs/json.md lists the keys in the order written";
    for (const auto& item : j["frame"].items()) fkeys.push_back(item.key());
    EXPECT_EQ(fkeys, frame_keys) << "the frame object of analyze --format json";
    const uint64_t n = j["line"].get<uint64_t>();
    EXPECT_GT(n, previous);
    previous = n;
    ASSERT_LE(n, in.size());
    EXPECT_EQ(j["text"], WithoutCr(in[n - 1]));
    const json& f = j["frame"];
    if (f["function"] == "netdev_pick_tx") {
      ++pick_tx;
      EXPECT_EQ(j["kernel_release"], testing::DebuginfoKernelAbi(dir));
      EXPECT_TRUE(f["symbolized"].get<bool>());
      EXPECT_EQ(f["source"].get<std::string>().rfind("net/core/dev.c:", 0), 0u) << f;
    }
    if (n >= report["line_start"].get<uint64_t>() && n <= report["line_end"].get<uint64_t>() && f["offset"].is_string()) {
      auto a = analyzed.find(f["function"].get<std::string>() + "+" + f["offset"].get<std::string>());
      if (a != analyzed.end() && a->second["is_ip"] == f["is_ip"]) {
        EXPECT_EQ(f["source"], a->second["source"]) << line;
        EXPECT_EQ(f["inlined"], a->second["inlined"]) << line;
        ++same_as_analyze;
      }
    }
  }
  EXPECT_GE(objects, expected_frames) << "every frame line has its object";
  EXPECT_GE(expected_frames, 200u);
  EXPECT_GE(pick_tx, 8u);
  EXPECT_GE(same_as_analyze, 20u);
}

TEST_F(SymbolizeCommand, WithoutDebuginfoEveryByteIsEchoedAndANoteSaysWhy) {
  const std::string empty = MakeDir("empty");
  // CRLF and LF lines, frames, a NUL, a line far longer than the line limit, no final newline.
  std::string bytes = "[    1.000000] Call Trace:\r\n[    1.000001]  netdev_pick_tx+0x5/0x2e0\r\n";
  bytes += "[    1.000002]  ? veth_xmit+0x10/0x270 [veth]\n[    1.000003] RIP: 0010:delay_tsc+0x33/0xa0\n";
  bytes += std::string("odd \0 byte\n", 11) + std::string(300000, 'x') + "\n  trailing blanks  \t\n";
  bytes += "[    1.000004]  last_frame+0x1/0x2";
  const std::string log = WriteFile("plain.log", bytes);
  const std::vector<std::string> no_debuginfo = {"-r", "0.0.0-ktriage-none", "--debug-root", empty, "--modules", empty};

  std::vector<std::string> args = no_debuginfo;
  args.push_back(log);
  RunOutcome r = Run(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == bytes) << "output differs from the input (" << r.out.size() << " vs " << bytes.size() << " bytes)";
  EXPECT_EQ(r.err.rfind("ktriage: note: ", 0), 0u) << r.err;
  EXPECT_TRUE(Contains(r.err, "0.0.0-ktriage-none")) << r.err;
  for (const std::string& line : Lines(r.err)) EXPECT_EQ(line.rfind("ktriage: note: ", 0), 0u) << line;

  // Standard input, as "-" and as no FILE at all.
  for (bool dash : {true, false}) {
    args = no_debuginfo;
    if (dash) args.push_back("-");
    RunOutcome s = Run(args, log);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    EXPECT_TRUE(s.out == bytes) << (dash ? "-" : "no FILE");
  }

  args = no_debuginfo;
  args.insert(args.end(), {"--format", "json", log});
  RunOutcome j = Run(args);
  EXPECT_EQ(j.exit_code, 0) << j.err;
  std::vector<std::string> lines = Lines(j.out);
  ASSERT_EQ(lines.size(), 4u) << j.out;
  EXPECT_EQ(json::parse(lines[0])["line"], 2);
  EXPECT_EQ(json::parse(lines[0])["text"], "[    1.000001]  netdev_pick_tx+0x5/0x2e0");
  EXPECT_EQ(json::parse(lines[1])["frame"]["module"], "veth");
  EXPECT_EQ(json::parse(lines[2])["frame"]["is_ip"], true);
  EXPECT_EQ(json::parse(lines[3])["line"], 8);
  for (const std::string& line : lines) {
    EXPECT_EQ(json::parse(line)["kernel_release"], "0.0.0-ktriage-none");
    EXPECT_EQ(json::parse(line)["frame"]["symbolized"], false);
  }
}

TEST_F(SymbolizeCommand, UnreadableFileExitsOne) {
  const std::string missing = (dir_ / "missing.log").string();
  RunOutcome r = Run({missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "ktriage: " + missing + ": No such file or directory\n");

  const std::string directory = MakeDir("a-directory");
  RunOutcome d = Run({directory});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_EQ(d.err, "ktriage: " + directory + ": Is a directory\n");
}

TEST_F(SymbolizeCommand, UsageErrorsExitTwo) {
  const std::string log = WriteFile("x.log", "hello\n");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--format", "xml", log}, {"--bogus", log}, {log, log}, {"--no-symbols", log}, {"--vmlinux"}}) {
    RunOutcome r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_EQ(r.out, "") << args[0];
    EXPECT_EQ(r.err.rfind("ktriage: ", 0), 0u) << r.err;
    EXPECT_TRUE(Contains(r.err, "Try 'ktriage symbolize --help'.")) << r.err;
  }
  EXPECT_TRUE(Contains(Run({"--format", "xml"}).err, "invalid --format 'xml'"));
}

TEST_F(SymbolizeCommand, HelpNamesTheOptionsAndTheDifferences) {
  RunOutcome r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"Usage: ktriage symbolize", "--format", "text|json", "--vmlinux", "--release", "--modules",
                        "--debug-root", "decode_stacktrace.sh", "discriminator", "Exit status:", "Examples:",
                        "docs/json.md"}) {
    EXPECT_TRUE(Contains(r.out, s)) << s;
  }
  EXPECT_FALSE(Contains(r.out, "--no-symbols"));
  RunSpec top;
  top.args = {"--help"};
  EXPECT_TRUE(Contains(RunBinary(KTRIAGE_BINARY, top, dir_.string()).out, "\n  symbolize "));
}

}  // namespace
}  // namespace ktriage
