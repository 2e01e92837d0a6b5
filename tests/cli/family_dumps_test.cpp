// Every kernel family of corpora/families.txt, every scenario, as a user runs ktriage on its dumps
// with the family's debuginfo: `dmesg` is byte-identical to makedumpfile --dump-dmesg where
// makedumpfile reads the dump, `vmcore info` names each CPU's PC and the panic, `analyze` finds the
// scenario's known problems (the same on every kernel) and unwinds every stack to its bottom.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli/run_binary.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::testing {
namespace {

namespace fs = std::filesystem;

// What each scenario of corpora/dumps/guest/init makes the kernel do, as the rules name it.
const std::map<std::string, std::vector<std::string>>& ScenarioRules() {
  static const std::map<std::string, std::vector<std::string>> rules = {
      {"sysrq", {"kernel.panic.sysrq"}},
      {"null-deref", {"kernel.oops.null-deref-oot-module"}},
      {"veth-softlockup", {"lockup.rcu-stall", "net.veth.softlockup-skb-tx-hash"}},
      {"igb-vlan-seed", {"kernel.panic.sysrq", "net.igb.vf-vlan-override-nack"}},
      {"netns-tcp-pinned", {"kernel.panic.sysrq", "net.netns.pinned-by-orphaned-tcp"}},
      {"hung-task", {"lockup.hung-task"}},
      {"warn", {"kernel.panic.panic-on-warn"}},
      {"netdev-refcount", {"kernel.panic.sysrq", "net.netdev.unregister-wait"}},
  };
  return rules;
}

struct Case {
  std::string family;
  std::string scenario;
};

std::vector<Case> AllCases() {
  std::vector<Case> out;
  for (const KernelFamily& f : KernelFamilies()) {
    for (const std::string& s : f.scenarios) out.push_back({f.name, s});
  }
  return out;
}

class FamilyDumps : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const KernelFamily family = FindFamily(GetParam().family);
    auto dumps = DumpCacheDir(family);
    auto debuginfo = DebuginfoCacheDir(family);
    if (!dumps || !debuginfo) GTEST_SKIP() << family.name << " needs `make dumps` and `make debuginfo`";
    dir_ = *dumps;
    debug_root_ = DebuginfoDebugRoot(*debuginfo).string();
    scratch_ = fs::temp_directory_path() / ("ktriage-family-" + std::to_string(::getpid()));
    fs::create_directories(scratch_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!scratch_.empty()) fs::remove_all(scratch_, ec);
  }
  RunOutcome Run(std::vector<std::string> args) {
    RunSpec spec;
    spec.args = std::move(args);
    spec.env.push_back({"DEBUGINFOD_URLS", std::nullopt});
    return RunBinary(KTRIAGE_BINARY, spec, scratch_.string());
  }
  fs::path Dump(const std::string& variant) const { return dir_ / (GetParam().scenario + "-" + variant) / "vmcore.kdump-zlib"; }
  fs::path dir_, scratch_;
  std::string debug_root_;
};

// A string member; "" when it is absent or null.
std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_P(FamilyDumps, DmesgIsMakedumpfilesWhereItReadsTheDump) {
  size_t compared = 0;
  for (const char* variant : {"nokaslr", "kaslr"}) {
    const fs::path reference = Dump(variant).parent_path() / "makedumpfile-dmesg.txt";
    RunOutcome o = Run({"dmesg", Dump(variant).string()});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    if (fs::exists(reference)) {
      EXPECT_EQ(o.out, ReadFile(reference)) << variant;
      ++compared;
    } else {
      // makedumpfile 1.7.2 cannot read the KASLR dumps QEMU writes: the log must still be there.
      EXPECT_NE(o.out.find("Kernel panic - not syncing"), std::string::npos) << variant;
    }
  }
  EXPECT_GE(compared, 1u) << "makedumpfile read none of the scenario's dumps";
}

TEST_P(FamilyDumps, AnalyzeFindsTheScenariosProblemsAndUnwindsEveryStack) {
  RunOutcome o = Run({"analyze", "--format", "json", "--debug-root", debug_root_, Dump("kaslr").string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const nlohmann::json input = nlohmann::json::parse(o.out)["inputs"][0];
  const nlohmann::json& vmcore = input["vmcore"];
  EXPECT_FALSE(vmcore["panic_message"].get<std::string>().empty());
  ASSERT_EQ(vmcore["cpus"].size(), 2u);
  for (const auto& cpu : vmcore["cpus"]) EXPECT_NE(cpu["symbol"].get<std::string>(), "") << cpu.dump();
  std::vector<std::string> rules;
  for (const auto& f : input["findings"]) rules.push_back(f["rule"]);
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  EXPECT_EQ(rules, ScenarioRules().at(GetParam().scenario));
  const nlohmann::json& deep = input["deep"];
  ASSERT_TRUE(deep.is_object()) << input["symbols"].dump();
  EXPECT_EQ(deep["cpus"].size(), 2u);
}

TEST_P(FamilyDumps, BtReachesTheBottomOfEveryStack) {
  RunOutcome o = Run({"bt", "--all", "--format", "json", "--debug-root", debug_root_, Dump("kaslr").string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const nlohmann::json doc = nlohmann::json::parse(o.out);
  EXPECT_TRUE(doc["problems"].empty()) << doc["problems"].dump();
  size_t stacks = 0, module_frames = 0;
  for (const char* kind : {"cpus", "tasks"}) {
    for (const auto& s : doc[kind]) {
      ++stacks;
      EXPECT_TRUE(s["complete"].get<bool>()) << kind << ": " << Str(s, "end") << " " << Str(s, "comm");
      for (const auto& f : s["frames"]) {
        EXPECT_FALSE(Str(f, "function").empty()) << f.dump();
        module_frames += Str(f, "module") == "ktriage_test";
      }
    }
  }
  EXPECT_GT(stacks, 50u);
  // The scenarios that run the test module's code have its frames named as its own.
  const std::string& s = GetParam().scenario;
  if (s == "veth-softlockup" || s == "hung-task") {
    EXPECT_GT(module_frames, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyDumps, ::testing::ValuesIn(AllCases()),
                         [](const auto& info) { return ParamName(info.param.family + "_" + info.param.scenario); });

}  // namespace
}  // namespace ktriage::testing
