// `ktriage analyze`, `bt`, `net` and `rules explain` on the real dumps with the real debuginfo and
// without any, as a user runs them: the deep analyses run from the dump's own BTF and kallsyms
// when no vmlinux is found (and say so), gain source lines when it is, and --no-deep skips them.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/cli/run_binary.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/symbols/debuginfod_server.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::testing {
namespace {

namespace fs = std::filesystem;

class DeepCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dumps = DumpCacheDir();
    auto debuginfo = DebuginfoCacheDir();
    if (!dumps || !debuginfo) GTEST_SKIP() << "needs `make dumps` and `make debuginfo`";
    dump_ = (*dumps / "hung-task-kaslr/vmcore.kdump-zlib").string();
    debug_root_ = DebuginfoDebugRoot(*debuginfo).string();
    scratch_ = fs::temp_directory_path() / ("ktriage-deep-" + std::to_string(::getpid()));
    fs::create_directories(scratch_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!scratch_.empty()) fs::remove_all(scratch_, ec);
  }
  RunOutcome Run(std::vector<std::string> args) { return RunKtriageOffline(std::move(args), scratch_.string()); }
  std::string dump_, debug_root_;
  fs::path scratch_;
};

TEST_F(DeepCommands, AnalyzeRunsTheDeepAnalysesWithDebuginfo) {
  RunOutcome o = Run({"analyze", "--format", "json", "--debug-root", debug_root_, dump_});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  auto doc = nlohmann::json::parse(o.out);
  const auto& deep = doc["inputs"][0]["deep"];
  ASSERT_TRUE(deep.is_object()) << doc["inputs"][0]["symbols"].dump();
  EXPECT_EQ(deep["cpus"].size(), 2u);
  ASSERT_EQ(deep["blocked_tasks"].size(), 1u);
  EXPECT_EQ(deep["blocked_tasks"][0]["task"]["comm"], "insmod");
  // The module's init function by its own name, as the console printed it, not by module_init's
  // alias for it (init_module, at the same address).
  bool init = false;
  for (const auto& f : deep["blocked_tasks"][0]["frames"]) init |= f["function"] == "ktriage_test_init" && f["module"] == "ktriage_test";
  EXPECT_TRUE(init);
  EXPECT_GT(deep["tasks"].get<int>(), 40);
  ASSERT_GE(deep["net_namespaces"].size(), 1u);
  EXPECT_TRUE(deep["net_namespaces"][0]["init"].get<bool>());
}

TEST_F(DeepCommands, NoDeepSkipsThemAndMissingDebuginfoReadsTheDumpAlone) {
  RunOutcome off = Run({"analyze", "--format", "json", "--no-deep", "--debug-root", debug_root_, dump_});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_TRUE(nlohmann::json::parse(off.out)["inputs"][0]["deep"].is_null());
  RunOutcome none = Run({"analyze", "--format", "json", "--debug-root", scratch_.string(), dump_});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  auto input = nlohmann::json::parse(none.out)["inputs"][0];
  const auto& deep = input["deep"];
  ASSERT_TRUE(deep.is_object()) << input["symbols"].dump();
  EXPECT_EQ(deep["vmlinux"], "");
  EXPECT_EQ(deep["type_source"].get<std::string>().rfind("BTF of the dump", 0), 0u) << deep["type_source"];
  EXPECT_EQ(deep["symbol_source"], "the dump's kallsyms");
  EXPECT_NE(deep["notes"].dump().find("no vmlinux with debuginfo"), std::string::npos) << deep["notes"];
  ASSERT_EQ(deep["blocked_tasks"].size(), 1u);
  EXPECT_EQ(deep["blocked_tasks"][0]["task"]["comm"], "insmod");
  bool init = false;
  for (const auto& f : deep["blocked_tasks"][0]["frames"]) {
    init |= f["function"] == "ktriage_test_init" && f["module"] == "ktriage_test";
    EXPECT_FALSE(f["symbolized"].get<bool>()) << f;  // no debuginfo, no source lines
    EXPECT_EQ(f["source"], "") << f;
  }
  EXPECT_TRUE(init);
  bool module = false;
  for (const auto& m : deep["modules"]) module |= m["name"] == "ktriage_test" && m["size"].get<uint64_t>() > 0;
  EXPECT_TRUE(module) << deep["modules"];
  // The log's reports do not need the vmlinux either.
  EXPECT_GE(input["reports"].size(), 1u);
  // --types dwarf asks for what is not there.
  RunOutcome dwarf = Run({"analyze", "--format", "json", "--types", "dwarf", "--debug-root", scratch_.string(), dump_});
  ASSERT_EQ(dwarf.exit_code, 0) << dwarf.err;
  auto blind = nlohmann::json::parse(dwarf.out)["inputs"][0];
  EXPECT_TRUE(blind["deep"].is_null());
  EXPECT_NE(blind["symbols"]["notes"].dump().find("no types: no vmlinux with DWARF"), std::string::npos)
      << blind["symbols"]["notes"];
}

TEST_F(DeepCommands, BtNamesTheBlockedTaskAndRefusesAnotherBuild) {
  RunOutcome o = Run({"bt", "--debug-root", debug_root_, dump_});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("\"insmod\" state D"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(" ktriage_test_init+0x"), std::string::npos);
  // veth.ko's debuginfo is an ELF file of another build than this kernel.
  auto debuginfo = DebuginfoCacheDir();
  std::string other;
  for (const auto& f : DebuginfoBuildIds(*debuginfo)) {
    if (f.path.filename().string().find("veth") != std::string::npos) other = f.path.string();
  }
  ASSERT_FALSE(other.empty());
  RunOutcome refused = Run({"bt", "--vmlinux", other, dump_});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("describe another kernel"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.out, "");
}

// Seed problem 3 from the dump alone: the shipped rule names the namespace, its veth and the socket.
TEST_F(DeepCommands, PinnedNamespaceIsAKnownProblem) {
  auto dumps = DumpCacheDir();
  for (const char* scenario : {"netns-tcp-pinned-nokaslr", "netns-tcp-pinned-kaslr"}) {
    SCOPED_TRACE(scenario);
    RunOutcome o = Run({"analyze", "--format", "json", "--debug-root", debug_root_,
                        (*dumps / scenario / "vmcore.kdump-zlib").string()});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    auto input = nlohmann::json::parse(o.out)["inputs"][0];
    std::string summary;
    for (const auto& f : input["findings"]) {
      if (f["rule"] == "net.netns.pinned-by-orphaned-tcp") summary = f["summary"];
    }
    ASSERT_FALSE(summary.empty()) << input["findings"].dump() << input["deep"]["problems"].dump();
    EXPECT_NE(summary.find("(devices: lo, veth-ns)"), std::string::npos) << summary;
    EXPECT_NE(summary.find("-> 10.0.7.1:5000, FIN_WAIT1"), std::string::npos) << summary;
    EXPECT_NE(summary.find("bytes unacknowledged"), std::string::npos) << summary;
    EXPECT_NE(summary.find("retransmit timer due in"), std::string::npos) << summary;
    // The host side's own namespace is not reported: it has its tasks.
    EXPECT_EQ(input["deep"]["pinned_namespaces"].size(), 1u);
  }
}

TEST_F(DeepCommands, NetListsTheNamespacesDevicesAndSockets) {
  auto dumps = DumpCacheDir();
  RunOutcome o = Run({"net", "--format", "json", "--debug-root", debug_root_,
                      (*dumps / "netns-tcp-pinned-nokaslr/vmcore.elf").string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc["schema"], "ktriage.net/1");
  ASSERT_EQ(doc["namespaces"].size(), 2u);
  const auto& inner = doc["namespaces"][1];
  EXPECT_FALSE(inner["init"].get<bool>());
  EXPECT_TRUE(inner["task_pids"].empty());
  bool veth = false;
  for (const auto& d : inner["devices"]) veth |= d["name"] == "veth-ns" && d["peer"] == "veth-host";
  EXPECT_TRUE(veth) << inner["devices"].dump();
  ASSERT_EQ(inner["tcp_sockets"].size(), 1u);
  EXPECT_EQ(inner["tcp_sockets"][0]["remote_port"], 5000);
  EXPECT_TRUE(inner["tcp_sockets"][0]["orphan"].get<bool>());
  EXPECT_GT(inner["tcp_sockets"][0]["unacked_bytes"].get<int>(), 0);
  EXPECT_EQ(doc["pinned_namespaces"].size(), 1u);
  // Without the vmlinux: the same answer from the dump's BTF and kallsyms.
  RunOutcome none = Run({"net", "--format", "json", "--debug-root", scratch_.string(),
                         (*dumps / "netns-tcp-pinned-nokaslr/vmcore.elf").string()});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  auto alone = nlohmann::json::parse(none.out);
  EXPECT_EQ(alone["type_source"].get<std::string>().rfind("BTF of the dump", 0), 0u);
  EXPECT_EQ(doc["type_source"].get<std::string>().rfind("BTF of the dump", 0), 0u);
  for (const char* key : {"vmlinux", "notes", "symbol_source"}) {
    alone.erase(key);
    doc.erase(key);
  }
  EXPECT_EQ(alone, doc);
  // And the vmlinux's DWARF, asked for, agrees too.
  RunOutcome dwarf = Run({"net", "--format", "json", "--types", "dwarf", "--debug-root", debug_root_,
                          (*dumps / "netns-tcp-pinned-nokaslr/vmcore.elf").string()});
  ASSERT_EQ(dwarf.exit_code, 0) << dwarf.err;
  auto with_dwarf = nlohmann::json::parse(dwarf.out);
  EXPECT_EQ(with_dwarf["type_source"].get<std::string>().rfind("DWARF of ", 0), 0u);
  for (const char* key : {"vmlinux", "notes", "type_source", "symbol_source"}) {
    with_dwarf.erase(key);
    alone.erase(key);
  }
  EXPECT_EQ(with_dwarf, alone);
}

// `rules explain` reads a dump as analyze does (its deep analyses and their state facts included),
// so it explains the verdict analyze reaches: here the seed rule that needs the dump's state.
TEST_F(DeepCommands, ExplainReachesTheFindingAnalyzeReaches) {
  auto dumps = DumpCacheDir();
  const std::string dump = (*dumps / "netns-tcp-pinned-kaslr/vmcore.kdump-zlib").string();
  const std::string rule = "net.netns.pinned-by-orphaned-tcp";
  RunOutcome analyzed = Run({"analyze", "--format", "json", "--debug-root", debug_root_, dump});
  ASSERT_EQ(analyzed.exit_code, 0) << analyzed.err;
  const nlohmann::json doc = nlohmann::json::parse(analyzed.out);
  std::string summary;
  for (const auto& f : doc["inputs"][0]["findings"]) {
    if (f["rule"] == rule) summary = f["summary"];
  }
  ASSERT_FALSE(summary.empty());
  RunOutcome explained = Run({"rules", "explain", "--debug-root", debug_root_, rule, dump});
  ASSERT_EQ(explained.exit_code, 0) << explained.err;
  EXPECT_NE(explained.out.find("input " + dump + ": crash dump, "), std::string::npos) << explained.out;
  EXPECT_NE(explained.out.find("result: the rule fired: 1 finding\n  " + summary + "\n"), std::string::npos)
      << explained.out;
  // Without the vmlinux the state comes from the dump's own BTF: the same finding; with the deep
  // analyses off there is no state to see, and the rule does not fire.
  RunOutcome alone = Run({"rules", "explain", "--debug-root", scratch_.string(), rule, dump});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_NE(alone.out.find("result: the rule fired: 1 finding\n  " + summary + "\n"), std::string::npos) << alone.out;
}

// DEBUGINFOD_URLS set, nothing on disk: the dump's own vmlinux comes from a real debuginfod server
// by the dump's BUILD-ID, and bt's frames gain source lines; the stacks are the same as without it.
TEST_F(DeepCommands, BtFetchesTheDumpsVmlinuxFromDebuginfod) {
  const std::vector<BuildIdFile> files = DebuginfoBuildIds(*DebuginfoCacheDir());
  ASSERT_FALSE(files.empty());
  auto server = DebuginfodServer::Start({files.front()}, std::chrono::seconds(60));  // vmlinux
  ASSERT_TRUE(server.ok()) << server.error().message;
  RunSpec spec;
  spec.args = {"bt", "--format", "json", "--debug-root", scratch_.string(), dump_};
  spec.env.push_back({"DEBUGINFOD_URLS", (*server)->url()});
  spec.env.push_back({"DEBUGINFOD_CACHE_PATH", (scratch_ / "debuginfod-cache").string()});
  RunOutcome fetched = RunBinary(KTRIAGE_BINARY, spec, scratch_.string());
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err << (*server)->log();
  const nlohmann::json doc = nlohmann::json::parse(fetched.out);
  EXPECT_NE(doc["vmlinux"].get<std::string>().find((scratch_ / "debuginfod-cache").string()), std::string::npos)
      << doc["vmlinux"];
  size_t with_source = 0;
  for (const auto& t : doc["tasks"]) {
    for (const auto& f : t["frames"]) with_source += f.contains("source") && f["source"] != "";
  }
  EXPECT_GT(with_source, 5u);
  RunOutcome alone = Run({"bt", "--format", "json", "--debug-root", scratch_.string(), dump_});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  nlohmann::json a = nlohmann::json::parse(alone.out), b = doc;
  for (auto* d : {&a, &b}) {
    for (const char* key : {"vmlinux", "notes", "symbol_source"}) d->erase(key);
    for (const char* kind : {"cpus", "tasks"}) {
      for (auto& stack : (*d)[kind]) {
        for (auto& f : stack["frames"]) {
          for (const char* key : {"source", "inlined", "symbolized"}) f.erase(key);
        }
      }
    }
  }
  EXPECT_EQ(a, b);
}

// A debuginfod server that never answers (a socket nobody accepts on): bt gives up after
// --debuginfod-timeout and prints the stacks from the dump alone, saying why there are no lines.
TEST_F(DeepCommands, ASilentDebuginfodServerOnlyCostsItsTimeLimit) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  RunSpec spec;
  spec.args = {"bt", "--format", "json", "--debuginfod-timeout", "2", "--debug-root", scratch_.string(), dump_};
  spec.env.push_back({"DEBUGINFOD_URLS", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port))});
  spec.env.push_back({"DEBUGINFOD_CACHE_PATH", (scratch_ / "debuginfod-cache").string()});
  const auto start = std::chrono::steady_clock::now();
  RunOutcome o = RunBinary(KTRIAGE_BINARY, spec, scratch_.string());
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(listener);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_LT(took, std::chrono::seconds(20));
  const nlohmann::json doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc["vmlinux"], "");
  EXPECT_NE(doc["notes"].dump().find("gave up after 2 s"), std::string::npos) << doc["notes"];
  ASSERT_EQ(doc["tasks"].size(), 1u);
  EXPECT_EQ(doc["tasks"][0]["comm"], "insmod");
}

// A dump is opened once: the main process opens the file, the reader process reads it through the
// descriptor it is given, and the deep analyses read it through the same descriptor again.
TEST_F(DeepCommands, AnalyzeOpensTheDumpFileOnce) {
  if (::access("/usr/bin/strace", X_OK) != 0) GTEST_SKIP() << "needs strace (scripts/debian-packages.txt)";
  auto dumps = DumpCacheDir();
  const std::string dump = (*dumps / "netns-tcp-pinned-nokaslr/vmcore.kdump-zlib").string();
  const std::string trace = (scratch_ / "strace.log").string();
  RunSpec spec;
  const std::string vmlinux = DebuginfoBuildIds(*DebuginfoCacheDir()).front().path.string();
  spec.args = {"-f", "-qq", "-e", "trace=open,openat,execve", "-o", trace, KTRIAGE_BINARY, "analyze", "--format", "json",
               "--vmlinux", vmlinux, dump};
  spec.env.push_back({"DEBUGINFOD_URLS", std::nullopt});
  // LeakSanitizer (ASan builds) cannot run under ptrace and would fail every exit.
  spec.env.push_back({"ASAN_OPTIONS", "detect_leaks=0"});
  RunOutcome o = RunBinary("/usr/bin/strace", spec, scratch_.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_FALSE(nlohmann::json::parse(o.out)["inputs"][0]["deep"].is_null()) << "the deep analyses must have run";
  std::ifstream in(trace);
  std::string line, main_pid;
  size_t opens = 0, readers = 0;
  std::map<std::string, size_t> opens_by_pid;
  std::map<std::string, bool> reader_exec_pending;  // by pid: strace split the execve in two lines
  while (std::getline(in, line)) {
    const std::string pid = line.substr(0, line.find(' '));
    if (main_pid.empty()) main_pid = pid;
    // Another process's syscall between an execve's start and its end makes strace -f print
    // "execve(...reader... <unfinished ...>" and later "<... execve resumed>) = 0".
    if (line.find("execve(") != std::string::npos && line.find("ktriage-dump-reader") != std::string::npos) {
      if (line.find(" = 0") != std::string::npos) ++readers;
      else if (line.find("<unfinished ...>") != std::string::npos) reader_exec_pending[pid] = true;
    } else if (line.find("<... execve resumed>") != std::string::npos && reader_exec_pending[pid]) {
      reader_exec_pending[pid] = false;
      if (line.find(" = 0") != std::string::npos) ++readers;
    }
    if (line.find("open") != std::string::npos && line.find("\"" + dump + "\"") != std::string::npos &&
        line.find(" = -1") == std::string::npos) {
      ++opens;
      ++opens_by_pid[pid];
    }
  }
  EXPECT_EQ(readers, 1u) << "one reader process";
  EXPECT_EQ(opens, 1u) << "opened once in all";
  EXPECT_EQ(opens_by_pid[main_pid], 1u) << "by the main process";
}

}  // namespace
}  // namespace ktriage::testing
