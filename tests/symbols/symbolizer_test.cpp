// The symbolizer on Debian's real 6.1 debuginfo, checked against elfutils' own tools run in the
// test (eu-readelf for symbol addresses, eu-addr2line -i for lines and inline chains), and
// against frames that the same kernel printed under QEMU (corpora/console/debian-6.1-qemu).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "analyzer/report/frame_parser.h"
#include "symbols/debug_binary.h"
#include "symbols/source_path.h"
#include "symbols/symbolizer.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/symbols/debuginfod_server.h"

// libdebuginfod initialises libcurl, and with it GnuTLS and friends, once per process and never
// frees that state: not ours to fix, and the same in every program that uses debuginfod.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libdebuginfod.so\nleak:libcurl\nleak:libgnutls\nleak:libp11-kit\nleak:libnettle\nleak:libhogweed\n"
         "leak:libgmp\nleak:libtasn1\nleak:libidn2\nleak:libssh2\nleak:libkrb5\nleak:libk5crypto\n"
         "leak:libgssapi_krb5\nleak:libldap\nleak:liblber\nleak:libsasl2\nleak:libcrypto\nleak:libnghttp2\n"
         "leak:librtmp\nleak:libpsl\nleak:libbrotli\nleak:libunistring\n";
}

namespace ktriage::symbols {
namespace {

namespace fs = std::filesystem;
using testing::DebuginfoDebugRoot;
using testing::DebuginfoModule;
using testing::DebuginfoModulesDir;
using testing::DebuginfoVmlinux;

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// FUNC symbols of an ELF file by eu-readelf: name -> (value, section index) of each.
struct ElfSymbol {
  uint64_t value = 0;
  uint64_t size = 0;
  std::string section;
};
std::multimap<std::string, ElfSymbol> FuncSymbols(const fs::path& file) {
  std::multimap<std::string, ElfSymbol> out;
  for (const std::string& line : Lines(RunCommand("eu-readelf -W -s '" + file.string() + "' 2>/dev/null"))) {
    std::istringstream f(line);
    std::string num, value, size, type, bind, vis, ndx, name;
    // Assembly entry points (entry_SYSCALL_64, ret_from_fork) are NOTYPE.
    if (!(f >> num >> value >> size >> type >> bind >> vis >> ndx >> name) || (type != "FUNC" && type != "NOTYPE")) {
      continue;
    }
    out.emplace(name, ElfSymbol{std::stoull(value, nullptr, 16), std::stoull(size), ndx});
  }
  return out;
}

// Where Debian built the 6.1 packages: eu-addr2line prints assembly sources under it.
constexpr const char* kDebianCompDir = "/build/reproducible-path/linux-6.1.176/debian/build/build_amd64_none_cloud-amd64";

// What eu-addr2line -i -f says of `address`: the chain of (function, tree-relative file:line),
// innermost first. `section` makes the address an offset in that section (for a .ko).
std::vector<std::pair<std::string, std::string>> Addr2line(const fs::path& file, uint64_t address,
                                                           const std::string& section = "") {
  std::ostringstream cmd;
  cmd << "eu-addr2line -i -f -e '" << file.string() << "' " << (section.empty() ? "" : "-j " + section + " ") << "0x"
      << std::hex << address << " 2>/dev/null";
  std::vector<std::string> lines = Lines(RunCommand(cmd.str()));
  std::vector<std::pair<std::string, std::string>> chain;
  for (size_t i = 0; i + 1 < lines.size(); i += 2) {
    // "skb_tx_hash inlined at FILE:LINE:COL in netdev_pick_tx": the function is the first word.
    std::string function = lines[i].substr(0, lines[i].find(' '));
    std::string where = lines[i + 1];
    // FILE:LINE[:COL] -> tree-relative FILE:LINE
    size_t c2 = where.rfind(':');
    size_t c1 = c2 == std::string::npos ? c2 : where.rfind(':', c2 - 1);
    if (c1 != std::string::npos) where = where.substr(0, c2);
    size_t colon = where.rfind(':');
    std::string path = TreeRelativePath(where.substr(0, colon), kDebianCompDir);
    chain.emplace_back(function, path + where.substr(colon));
  }
  return chain;
}

// Our answer in the same shape: inlined functions first, then the function itself.
std::vector<std::pair<std::string, std::string>> Chain(const Symbolized& s) {
  std::vector<std::pair<std::string, std::string>> chain;
  for (const InlinedFunction& f : s.where.inlined) chain.emplace_back(f.function, f.source.ToString());
  chain.emplace_back(s.where.function, s.where.source ? s.where.source->ToString() : "");
  return chain;
}

SymbolizerOptions VmlinuxOnly(const fs::path& dir) {
  SymbolizerOptions o;
  o.vmlinux = DebuginfoVmlinux(dir).string();
  o.search.debug_roots = {};
  o.search.module_roots = {};
  return o;
}

TEST(Symbolizer, NetdevPickTxInlineChainAsEuAddr2lineSaysIt) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  const fs::path vmlinux = DebuginfoVmlinux(dir);
  auto syms = FuncSymbols(vmlinux);
  ASSERT_EQ(syms.count("netdev_pick_tx"), 1u);
  const uint64_t start = syms.find("netdev_pick_tx")->second.value;

  Symbolizer symbolizer(VmlinuxOnly(dir));
  // The stuck RIP of the seed's soft lockup, with the size this build's kallsyms prints (0x2e0,
  // as in corpora/console/debian-6.1-qemu/veth-softlockup*.log).
  Result<Symbolized> s = symbolizer.Resolve({"netdev_pick_tx", 0x27c, 0x2e0, "", "", /*return_address=*/false});
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto expected = Addr2line(vmlinux, start + 0x27c);
  ASSERT_GE(expected.size(), 2u) << "eu-addr2line gave no inline chain";
  EXPECT_EQ(Chain(*s), expected);
  // The issue's fact, held against the tools' answer above rather than hard-coded lines.
  EXPECT_EQ(s->where.function, "netdev_pick_tx");
  ASSERT_EQ(s->where.inlined.size(), 1u);
  EXPECT_EQ(s->where.inlined[0].function, "skb_tx_hash");
  EXPECT_EQ(s->where.inlined[0].source.file, "net/core/dev.c");
  EXPECT_EQ(s->where.source->file, "net/core/dev.c");
  EXPECT_EQ(s->binary, vmlinux.string());
}

TEST(Symbolizer, ReturnAddressesLookUpPcMinusOneAndTheIpItself) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  const fs::path vmlinux = DebuginfoVmlinux(dir);
  auto syms = FuncSymbols(vmlinux);
  const uint64_t start = syms.find("arp_xmit")->second.value;
  Symbolizer symbolizer(VmlinuxOnly(dir));
  // arp_xmit+0x3c returns from the call to dev_queue_xmit: pc - 1 is the call, pc the next line.
  Result<Symbolized> ret = symbolizer.Resolve({"arp_xmit", 0x3c, std::nullopt, "", "", true});
  Result<Symbolized> ip = symbolizer.Resolve({"arp_xmit", 0x3c, std::nullopt, "", "", false});
  ASSERT_TRUE(ret.ok() && ip.ok());
  EXPECT_EQ(Chain(*ret), Addr2line(vmlinux, start + 0x3c - 1));
  EXPECT_EQ(Chain(*ip), Addr2line(vmlinux, start + 0x3c));
  EXPECT_NE(Chain(*ret), Chain(*ip));
}

// Every core-kernel frame that this kernel printed in the QEMU scenarios: the size kallsyms
// printed must equal the one computed from the ELF symbol table, and every line and inline chain
// must equal eu-addr2line's. The agreement is printed.
TEST(Symbolizer, EveryFrameOfTheRealConsoleLogsAgreesWithEuAddr2line) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  const fs::path vmlinux = DebuginfoVmlinux(dir);
  auto syms = FuncSymbols(vmlinux);
  std::map<std::string, Frame> frames;  // "name+off/size ip?" -> frame, deduplicated
  for (const auto& e : fs::directory_iterator(KTRIAGE_SOURCE_DIR "/corpora/console/debian-6.1-qemu")) {
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      // Serial console lines: "[    4.601958] text\r".
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (size_t close = line.find("] "); line.rfind("[", 0) == 0 && close != std::string::npos) {
        line.erase(0, close + 2);
      }
      std::optional<Frame> f = ParseFrameLine(line);
      if (!f || f->function.empty() || !f->offset || !f->size || !f->module.empty()) continue;
      frames.emplace(f->function + "+" + std::to_string(*f->offset) + "/" + std::to_string(*f->size) +
                         (f->is_ip ? " ip" : ""),
                     *f);
    }
  }
  ASSERT_GE(frames.size(), 50u);
  Symbolizer symbolizer(VmlinuxOnly(dir));
  size_t resolved = 0, agree = 0, unknown_to_both = 0;
  std::vector<std::string> disagreements;
  for (const auto& [key, f] : frames) {
    Result<Symbolized> s = symbolizer.Resolve({f.function, *f.offset, f.size, "", "", !f.is_ip});
    if (!s.ok()) {
      // "? prev+0x20/0x20": a stale function pointer on the stack, printed by %pB as the end of the
      // previous symbol; pc - 1 is alignment padding that no function covers. Agreeing means
      // eu-addr2line knows no function there either.
      auto range = syms.equal_range(f.function);
      bool both_unknown = *f.offset == *f.size && range.first != range.second;
      for (auto it = range.first; it != range.second; ++it) {
        auto chain = Addr2line(vmlinux, it->second.value + *f.offset - 1);
        both_unknown = both_unknown && (chain.empty() || chain.front().first == "??");
      }
      if (both_unknown) {
        ++unknown_to_both;
        ++agree;
      } else {
        disagreements.push_back(key + ": " + s.error().message);
      }
      continue;
    }
    ++resolved;
    auto range = syms.equal_range(f.function);
    std::vector<std::pair<std::string, std::string>> expected;
    for (auto it = range.first; it != range.second; ++it) {
      uint64_t pc = it->second.value + *f.offset - (!f.is_ip && *f.offset > 0 ? 1 : 0);
      auto chain = Addr2line(vmlinux, pc);
      if (chain == Chain(*s)) expected = chain;
    }
    if (!expected.empty()) ++agree;
    else disagreements.push_back(key + ": ours " + Chain(*s).front().first + " " + Chain(*s).front().second);
  }
  std::printf("console frames: %zu distinct, %zu resolved with matching size, %zu in padding (no function, for "
              "eu-addr2line too), %zu agree with eu-addr2line (%.1f%%)\n",
              frames.size(), resolved, unknown_to_both, agree, 100.0 * agree / frames.size());
  for (size_t i = 0; i < disagreements.size() && i < 10; ++i) std::printf("  %s\n", disagreements[i].c_str());
  EXPECT_EQ(resolved + unknown_to_both, frames.size());
  EXPECT_LE(unknown_to_both, frames.size() / 10);
  EXPECT_EQ(agree, frames.size());
}

TEST(Symbolizer, DuplicateStaticNamesArePickedBySize) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  const fs::path vmlinux = DebuginfoVmlinux(dir);
  Result<std::unique_ptr<DebugBinary>> binary = DebugBinary::Open(vmlinux.string());
  ASSERT_TRUE(binary.ok()) << binary.error().message;
  // A static function name defined in several files with different sizes, found by eu-readelf.
  auto syms = FuncSymbols(vmlinux);
  std::string name;
  std::vector<SymbolCandidate> candidates;
  for (auto it = syms.begin(); it != syms.end(); it = syms.upper_bound(it->first)) {
    if (syms.count(it->first) < 2 || it->first.find('.') != std::string::npos) continue;
    candidates = (*binary)->FindSymbol(it->first);
    if (candidates.size() >= 2 && candidates[0].size != candidates[1].size && candidates[0].size > 8 &&
        candidates[1].size > 8) {
      name = it->first;
      break;
    }
  }
  ASSERT_FALSE(name.empty()) << "no duplicate static function name in vmlinux";
  Symbolizer symbolizer(VmlinuxOnly(dir));
  for (size_t i = 0; i < 2; ++i) {
    Result<Symbolized> s = symbolizer.Resolve({name, 4, candidates[i].size, "", "", false});
    ASSERT_TRUE(s.ok()) << name << ": " << s.error().message;
    EXPECT_EQ(Chain(*s), Addr2line(vmlinux, candidates[i].address + 4)) << name << " #" << i;
  }
  Result<Symbolized> ambiguous = symbolizer.Resolve({name, 4, std::nullopt, "", "", false});
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.error().message.find("symbols are named " + name), std::string::npos);
}

TEST(Symbolizer, ASizeThatDoesNotMatchIsRejectedWithANote) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  Symbolizer symbolizer(VmlinuxOnly(dir));
  // The seed's frame comes from another build: its netdev_pick_tx is 0x294 bytes, this one's 0x2e0.
  Result<Symbolized> s = symbolizer.Resolve({"netdev_pick_tx", 0x27c, 0x294, "", "", false});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("does not match the kernel that printed the log"), std::string::npos);
  ASSERT_EQ(symbolizer.Notes().size(), 1u);
  EXPECT_NE(symbolizer.Notes()[0].find("0x2e0"), std::string::npos) << symbolizer.Notes()[0];
}

TEST(Symbolizer, VmlinuxByBuildIdAndARejectedBuildId) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  auto ids = testing::DebuginfoBuildIds(dir);
  std::string vmlinux_id;
  for (auto& f : ids)
    if (f.path == DebuginfoVmlinux(dir)) vmlinux_id = f.build_id;
  ASSERT_EQ(vmlinux_id.size(), 40u);

  SymbolizerOptions by_id;
  by_id.vmlinux_build_id = vmlinux_id;
  by_id.search.debug_roots = {DebuginfoDebugRoot(dir).string()};
  by_id.search.module_roots = {};
  Symbolizer found(by_id);
  Result<Symbolized> s = found.Resolve({"netdev_pick_tx", 0x27c, 0x2e0, "", "", false});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_NE(s->binary.find(".build-id/" + vmlinux_id.substr(0, 2)), std::string::npos) << s->binary;

  // The release's vmlinux is there, but the dump says another build-id: rejected, with a note.
  SymbolizerOptions wrong = by_id;
  wrong.vmlinux_build_id = std::string(40, '0');
  wrong.release = testing::DebuginfoKernelAbi(dir);
  Symbolizer rejected(wrong);
  Result<Symbolized> r = rejected.Resolve({"netdev_pick_tx", 0x27c, 0x2e0, "", "", false});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("has build-id " + vmlinux_id), std::string::npos) << r.error().message;
}

TEST(Symbolizer, ModuleFramesByNameCompressedAndByBuildId) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  std::optional<testing::BuildIdFile> veth = DebuginfoModule(dir, "veth");
  ASSERT_TRUE(veth);
  auto syms = FuncSymbols(veth->path);
  auto it = syms.find("veth_xmit");
  ASSERT_NE(it, syms.end());
  // eu-readelf gives the section index; eu-addr2line wants the section's name.
  std::string section;
  for (const std::string& line : Lines(RunCommand("eu-readelf -W -S '" + veth->path.string() + "'"))) {
    if (line.find("[" + std::string(it->second.section.size() < 2 ? " " : "") + it->second.section + "]") !=
        std::string::npos) {
      std::istringstream f(line.substr(line.find(']') + 1));
      f >> section;
    }
  }
  ASSERT_FALSE(section.empty());
  const uint64_t offset = it->second.size / 2;
  auto expected = Addr2line(veth->path, it->second.value + offset, section);
  ASSERT_FALSE(expected.empty());

  auto resolve_with = [&](SymbolizerOptions o, const std::string& build_id = "") {
    Symbolizer symbolizer(std::move(o));
    return symbolizer.Resolve({"veth_xmit", offset, std::nullopt, "veth", build_id, false});
  };
  SymbolizerOptions by_name;
  by_name.release = testing::DebuginfoKernelAbi(dir);
  by_name.search.debug_roots = {DebuginfoDebugRoot(dir).string()};
  by_name.search.module_roots = {};
  Result<Symbolized> s = resolve_with(by_name);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(Chain(*s), expected);
  EXPECT_EQ(s->binary, veth->path.string());

  // .ko.xz (libdwfl) and .ko.zst (libzstd), found in --modules directories.
  for (const char* file : {"veth.ko.xz", "veth.ko.zst"}) {
    SymbolizerOptions o;
    o.search.module_dirs = {(dir / "modules-compressed").string()};
    o.search.debug_roots = {};
    o.search.module_roots = {};
    Symbolizer symbolizer(o);
    // Both files are there; the name picks either: make sure each one opens by itself too.
    Result<std::unique_ptr<DebugBinary>> b = DebugBinary::Open((dir / "modules-compressed" / file).string());
    ASSERT_TRUE(b.ok()) << file << ": " << b.error().message;
    EXPECT_EQ((*b)->build_id(), veth->build_id) << file;
    Result<Symbolized> c = symbolizer.Resolve({"veth_xmit", offset, std::nullopt, "veth", "", false});
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(Chain(*c), expected) << file;
  }

  // By build-id alone: no release, no module directory.
  SymbolizerOptions by_id;
  by_id.search.debug_roots = {DebuginfoDebugRoot(dir).string()};
  by_id.search.module_roots = {};
  Result<Symbolized> b = resolve_with(by_id, veth->build_id);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(Chain(*b), expected);
  // A build-id the log prints that the file does not have: rejected.
  SymbolizerOptions mismatch = by_name;
  Result<Symbolized> m = resolve_with(mismatch, std::string(40, 'a'));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("has build-id " + veth->build_id), std::string::npos) << m.error().message;
}

TEST(Symbolizer, ModuleDebuginfoFromARealDebuginfodServer) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  std::optional<testing::BuildIdFile> veth = DebuginfoModule(dir, "veth");
  ASSERT_TRUE(veth);
  auto server = testing::DebuginfodServer::Start({*veth});
  ASSERT_TRUE(server.ok()) << server.error().message;
  const fs::path cache = fs::temp_directory_path() / ("ktriage-debuginfod-cache-" + std::to_string(::getpid()));
  fs::remove_all(cache);
  // libdebuginfod reads its configuration from the environment only.
  ::setenv("DEBUGINFOD_URLS", (*server)->url().c_str(), 1);
  ::setenv("DEBUGINFOD_CACHE_PATH", cache.c_str(), 1);
  SymbolizerOptions o;
  o.search.debug_roots = {};
  o.search.module_roots = {};
  o.search.debuginfod_urls = (*server)->url();
  Symbolizer symbolizer(o);
  Result<Symbolized> s = symbolizer.Resolve({"veth_xmit", 0x10, std::nullopt, "veth", veth->build_id, true});
  ::unsetenv("DEBUGINFOD_URLS");
  ::unsetenv("DEBUGINFOD_CACHE_PATH");
  ASSERT_TRUE(s.ok()) << s.error().message << "\n" << (*server)->log();
  EXPECT_EQ(s->binary.rfind(cache.string(), 0), 0u) << s->binary;
  EXPECT_EQ(s->where.function, "veth_xmit");
  EXPECT_EQ(s->where.source->file, "drivers/net/veth.c");
  fs::remove_all(cache);
}

TEST(Symbolizer, NoDebuginfoIsANoteThatSaysWhatWasSearched) {
  const fs::path empty = fs::temp_directory_path() / ("ktriage-empty-" + std::to_string(::getpid()));
  fs::create_directories(empty);
  SymbolizerOptions o;
  o.release = "6.1.0-50-cloud-amd64";
  o.search.debug_roots = {empty.string()};
  o.search.module_roots = {empty.string()};
  Symbolizer symbolizer(o);
  EXPECT_FALSE(symbolizer.Resolve({"netdev_pick_tx", 0x27c, 0x2e0, "", "", false}).ok());
  EXPECT_FALSE(symbolizer.Resolve({"schedule", 0x10, std::nullopt, "", "", true}).ok());
  ASSERT_EQ(symbolizer.Notes().size(), 1u);  // once per binary, not per frame
  EXPECT_NE(symbolizer.Notes()[0].find("no debuginfo for vmlinux"), std::string::npos);
  EXPECT_NE(symbolizer.Notes()[0].find(empty.string() + "/boot/vmlinux-6.1.0-50-cloud-amd64"), std::string::npos);
  fs::remove_all(empty);
}

TEST(DebugBinary, CorruptAndTruncatedFilesAreErrorsNamingThem) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  std::optional<testing::BuildIdFile> veth = DebuginfoModule(dir, "veth");
  ASSERT_TRUE(veth);
  const fs::path tmp = fs::temp_directory_path() / ("ktriage-corrupt-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  {
    std::ofstream(tmp / "garbage.ko") << "\x7f" "ELF this is not an ELF file at all";
  }
  Result<std::unique_ptr<DebugBinary>> garbage = DebugBinary::Open((tmp / "garbage.ko").string());
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message.rfind((tmp / "garbage.ko").string() + ": ", 0), 0u) << garbage.error().message;
  // veth.ko cut at 10%, 50%, 90%: an error, or a file that answers without crashing.
  std::string bytes;
  {
    std::ifstream in(veth->path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (int percent : {10, 50, 90}) {
    const fs::path cut = tmp / ("veth-" + std::to_string(percent) + ".ko");
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() * percent / 100);
    Result<std::unique_ptr<DebugBinary>> b = DebugBinary::Open(cut.string());
    if (!b.ok()) {
      EXPECT_NE(b.error().message.find(cut.string()), std::string::npos);
      continue;
    }
    for (const SymbolCandidate& c : (*b)->FindSymbol("veth_xmit")) (void)(*b)->Describe(c.address + 4);
  }
  Result<std::unique_ptr<DebugBinary>> missing = DebugBinary::Open((tmp / "missing.ko").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
  fs::remove_all(tmp);
}

TEST(SourcePath, DebianBuildDirectoryAndCompDirAreStripped) {
  EXPECT_EQ(TreeRelativePath("debian/build/build_amd64_none_cloud-amd64/net/core/dev.c", ""), "net/core/dev.c");
  EXPECT_EQ(TreeRelativePath("/build/linux-x/debian/build/build_arm64_none_arm64/./include/linux/skbuff.h", ""),
            "include/linux/skbuff.h");
  EXPECT_EQ(TreeRelativePath("/usr/src/linux/net/core/dev.c", "/usr/src/linux"), "net/core/dev.c");
  EXPECT_EQ(TreeRelativePath("./net//core/dev.c", ""), "net/core/dev.c");
  EXPECT_EQ(TreeRelativePath("/elsewhere/x.c", "/usr/src/linux"), "/elsewhere/x.c");
  EXPECT_EQ(TreeRelativePath("/build/reproducible-path/linux-6.1.176/arch/x86/entry/entry_64.S",
                             "/build/reproducible-path/linux-6.1.176/debian/build/build_amd64_none_cloud-amd64"),
            "arch/x86/entry/entry_64.S");
}

}  // namespace
}  // namespace ktriage::symbols
