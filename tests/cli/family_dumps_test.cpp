// Every kernel family of corpora/families.txt, every scenario, as a user runs ktriage on its dumps
// with the family's debuginfo: `dmesg` is byte-identical to makedumpfile --dump-dmesg where
// makedumpfile reads the dump (else the console's panic lines are in it), `analyze` names each
// CPU's PC and the panic and finds the scenario's known problems (the same on every kernel), and
// `bt` unwinds every stack to its bottom where the architecture can be walked, and says why not
// in one line where it cannot; on each KASLR variant of the family (arm64's 48-bit fallback too;
// the log on every variant), and the ELF and kdump-compressed files of one dump read alike.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "analyzer/kernel_state/kernel_arch.h"
#include "tests/cli/run_binary.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::testing {
namespace {

namespace fs = std::filesystem;

// What each scenario of corpora/dumps/guest/init makes the kernel do, as the rules name it.
struct ScenarioRules {
  std::vector<std::string> required;
  std::vector<std::string> allowed;    // may fire too (the RCU stall needs both CPUs to report first)
  std::vector<std::string> with_walk;  // need the dump's kernel data walked (KernelArch)
};
const std::map<std::string, ScenarioRules>& ExpectedRules() {
  static const std::map<std::string, ScenarioRules> rules = {
      {"sysrq", {{"kernel.panic.sysrq"}, {}, {}}},
      {"null-deref", {{"kernel.oops.null-deref-oot-module"}, {}, {}}},
      {"veth-softlockup", {{"net.veth.softlockup-skb-tx-hash"}, {"lockup.rcu-stall", "lockup.rcu-stall.holding-cpu"}, {}}},
      {"igb-vlan-seed", {{"kernel.panic.sysrq", "net.igb.vf-vlan-override-nack"}, {}, {}}},
      {"netns-tcp-pinned", {{"kernel.panic.sysrq"}, {}, {"net.netns.pinned-by-orphaned-tcp"}}},
      {"hung-task", {{"lockup.hung-task"}, {}, {}}},
      {"warn", {{"kernel.panic.panic-on-warn"}, {}, {}}},
      {"netdev-refcount", {{"kernel.panic.sysrq", "net.netdev.unregister-wait"}, {}, {}}},
      {"mutex-owner", {{"lockup.hung-task"}, {}, {"lockup.hung-task.lock-owner"}}},
      {"mutex-chain", {{"lockup.hung-task"}, {}, {"lockup.hung-task.lock-owner"}}},
      {"rwsem-write", {{"lockup.hung-task"}, {}, {"lockup.hung-task.lock-owner"}}},
      {"oom-slab-leak", {{"memory.oom.panic"}, {"memory.oom.kill"}, {"memory.oom.top-consumer"}}},
      {"rcu-stall", {{"lockup.rcu-stall"}, {}, {"lockup.rcu-stall.holding-cpu"}}},
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
    dump_name_ = ReadableDumpName(family);
    walk_refused_ = kernel::WhyNotWalkable(family.arch);
    arch_ = family.arch;
    variants_ = family.variants;
    debug_root_ = DebuginfoDebugRoot(*debuginfo).string();
    scratch_ = fs::temp_directory_path() / ("ktriage-family-" + std::to_string(::getpid()));
    fs::create_directories(scratch_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!scratch_.empty()) fs::remove_all(scratch_, ec);
  }
  RunOutcome Run(std::vector<std::string> args) { return RunKtriageOffline(std::move(args), scratch_.string()); }
  fs::path Dump(const std::string& variant) const { return dir_ / (GetParam().scenario + "-" + variant) / dump_name_; }
  std::vector<std::string> Kaslr() const;
  void AnalyzeVariant(const std::string& variant);
  void BtVariant(const std::string& variant);
  fs::path dir_, scratch_;
  std::string debug_root_, dump_name_;
  std::optional<std::string> walk_refused_;
  std::string arch_;  // Debian's name: amd64, arm64
  std::vector<std::string> variants_;  // "nokaslr", "kaslr", "kaslr-va48" (corpora/families.txt)
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
  for (const std::string& variant : variants_) {
    const fs::path reference = Dump(variant).parent_path() / "makedumpfile-dmesg.txt";
    RunOutcome o = Run({"dmesg", Dump(variant).string()});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    // The ELF file QEMU wrote of the same memory reads the same, whatever reads each (libkdumpfile,
    // our arm64 page walk, our reader of 64 KiB kdump blocks).
    RunOutcome elf = Run({"dmesg", (Dump(variant).parent_path() / "vmcore.elf").string()});
    ASSERT_EQ(elf.exit_code, 0) << elf.err;
    EXPECT_EQ(elf.out, o.out) << variant << ": the ELF and kdump-compressed dumps differ";
    if (fs::exists(reference)) {
      EXPECT_EQ(o.out, ReadFile(reference)) << variant;
      ++compared;
      continue;
    }
    // makedumpfile 1.7.2 cannot read QEMU's KASLR x86-64 dumps, nor any arm64 dump (built for the
    // host): the panic's lines the console printed are in the log, as the console printed them.
    const std::string console = ReadFile(Dump(variant).parent_path() / "console.log");
    size_t lines = 0;
    std::istringstream in(console);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find("Kernel panic - not syncing") == std::string::npos) continue;
      EXPECT_NE(o.out.find(line + "\n"), std::string::npos) << variant << ": " << line;
      ++lines;
    }
    EXPECT_GE(lines, 2u) << variant;  // the panic line and its end marker
  }
  if (arch_ != "amd64") return;  // makedumpfile here is built for x86-64 and reads no other
  EXPECT_GE(compared, 1u) << "makedumpfile read none of the scenario's dumps";
}

// The KASLR variants (each address-space layout: arm64's 48-bit fallback has its own); the
// nokaslr ones differ only by the slide, which the log and stack tests check.
std::vector<std::string> FamilyDumps::Kaslr() const {
  std::vector<std::string> out;
  for (const std::string& v : variants_) {
    if (v.rfind("nokaslr", 0) != 0) out.push_back(v);
  }
  return out;
}

TEST_P(FamilyDumps, AnalyzeFindsTheScenariosProblemsAndUnwindsEveryStack) {
  for (const std::string& variant : Kaslr()) {
    SCOPED_TRACE(variant);
    AnalyzeVariant(variant);
  }
}

void FamilyDumps::AnalyzeVariant(const std::string& variant) {
  RunOutcome o = Run({"analyze", "--format", "json", "--debug-root", debug_root_, Dump(variant).string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const nlohmann::json input = nlohmann::json::parse(o.out)["inputs"][0];
  const nlohmann::json& vmcore = input["vmcore"];
  EXPECT_FALSE(vmcore["panic_message"].get<std::string>().empty());
  ASSERT_EQ(vmcore["cpus"].size(), 2u);
  for (const auto& cpu : vmcore["cpus"]) EXPECT_NE(cpu["symbol"].get<std::string>(), "") << cpu.dump();
  std::set<std::string> rules;
  for (const auto& f : input["findings"]) rules.insert(f["rule"].get<std::string>());
  const ScenarioRules& expected = ExpectedRules().at(GetParam().scenario);
  std::set<std::string> required(expected.required.begin(), expected.required.end());
  if (!walk_refused_) required.insert(expected.with_walk.begin(), expected.with_walk.end());
  for (const std::string& r : required) EXPECT_TRUE(rules.count(r)) << r << " did not fire";
  for (const std::string& r : rules) {
    const bool allowed = required.count(r) ||
                         std::find(expected.allowed.begin(), expected.allowed.end(), r) != expected.allowed.end();
    EXPECT_TRUE(allowed) << r << " fired on " << GetParam().scenario;
  }
  // The reports' frames got source lines from the family's debuginfo.
  size_t with_source = 0;
  for (const auto& r : input["reports"]) {
    for (const auto& f : r["frames"]) with_source += !Str(f, "source").empty();
  }
  EXPECT_GE(with_source, 3u);
  const nlohmann::json& deep = input["deep"];
  if (walk_refused_) {
    EXPECT_TRUE(deep.is_null());
    EXPECT_NE(input["symbols"].dump().find(*walk_refused_), std::string::npos) << input["symbols"].dump();
    return;
  }
  ASSERT_TRUE(deep.is_object()) << input["symbols"].dump();
  EXPECT_EQ(deep["cpus"].size(), 2u);
}

TEST_P(FamilyDumps, BtReachesTheBottomOfEveryStack) {
  for (const std::string& variant : Kaslr()) {
    SCOPED_TRACE(variant);
    BtVariant(variant);
  }
}

void FamilyDumps::BtVariant(const std::string& variant) {
  RunOutcome o = Run({"bt", "--all", "--format", "json", "--debug-root", debug_root_, Dump(variant).string()});
  if (walk_refused_) {
    // Never a wrong stack: one line naming the dump and why.
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_TRUE(o.out.empty()) << o.out;
    EXPECT_EQ(o.err, "ktriage: " + Dump(variant).string() + ": " + *walk_refused_ + "\n");
    return;
  }
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

// What only debuginfo adds (source lines, inline chains) and where each answer came from.
nlohmann::json WithoutSources(nlohmann::json j) {
  if (j.is_object()) {
    for (const char* key : {"source", "inlined", "symbolized", "vmlinux", "notes", "type_source", "symbol_source"})
      j.erase(key);
    for (auto& [key, value] : j.items()) value = WithoutSources(value);
  } else if (j.is_array()) {
    for (auto& value : j) value = WithoutSources(value);
  }
  return j;
}

bool ConfigSays(const fs::path& config, const std::string& line) {
  std::ifstream in(config);
  std::string l;
  while (std::getline(in, l)) {
    if (l == line) return true;
  }
  return false;
}

// No debuginfo anywhere (an empty debug root, no DEBUGINFOD_URLS): `bt` and `net` from the dump's
// own BTF, kallsyms and ORC (or frame records) say exactly what they say with the family's vmlinux
// and its DWARF types; every task, every frame, every socket. A kernel whose kallsyms names only
// functions (no CONFIG_KALLSYMS_ALL) is refused in one line saying so.
class FamilyDumpsAlone : public FamilyDumps {};

TEST_P(FamilyDumpsAlone, FromTheDumpAloneAsWithTheVmlinuxDwarf) {
  const std::string& s = GetParam().scenario;
  if (walk_refused_) GTEST_SKIP() << *walk_refused_;
  const fs::path config = dir_ / "kernel/config";
  ASSERT_TRUE(fs::exists(config)) << config;
  ASSERT_TRUE(ConfigSays(config, "CONFIG_DEBUG_INFO_BTF=y"));
  const std::string dump = Dump(Kaslr().back()).string();
  const std::string nothing = (scratch_ / "no-debuginfo").string();
  RunOutcome alone = Run({"bt", "--all", "--format", "json", "--debug-root", nothing, dump});
  if (!ConfigSays(config, "CONFIG_KALLSYMS_ALL=y")) {
    EXPECT_EQ(alone.exit_code, 1);
    EXPECT_NE(alone.err.find("without CONFIG_KALLSYMS_ALL"), std::string::npos) << alone.err;
    return;
  }
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  RunOutcome dwarf = Run({"bt", "--all", "--format", "json", "--types", "dwarf", "--debug-root", debug_root_, dump});
  ASSERT_EQ(dwarf.exit_code, 0) << dwarf.err;
  const nlohmann::json btf_doc = nlohmann::json::parse(alone.out), dwarf_doc = nlohmann::json::parse(dwarf.out);
  EXPECT_EQ(btf_doc["type_source"].get<std::string>().rfind("BTF of the dump", 0), 0u) << btf_doc["type_source"];
  EXPECT_EQ(btf_doc["symbol_source"], "the dump's kallsyms");
  EXPECT_EQ(dwarf_doc["type_source"].get<std::string>().rfind("DWARF of ", 0), 0u) << dwarf_doc["type_source"];
  EXPECT_GT(btf_doc["tasks"].size(), 40u);
  EXPECT_EQ(WithoutSources(btf_doc), WithoutSources(dwarf_doc));
  if (s == "veth-softlockup") {
    // Both CPUs spin in the module's hook under netdev_pick_tx.
    for (const auto& cpu : btf_doc["cpus"]) {
      bool pick_tx = false, hook = false;
      for (const auto& f : cpu["frames"]) {
        pick_tx |= Str(f, "function") == "netdev_pick_tx";
        hook |= Str(f, "function") == "pick_tx_pre" && Str(f, "module") == "ktriage_test";
      }
      EXPECT_TRUE(pick_tx && hook) << cpu.dump();
    }
  }
  if (s == "netns-tcp-pinned") {
    RunOutcome net_alone = Run({"net", "--format", "json", "--debug-root", nothing, dump});
    RunOutcome net_dwarf = Run({"net", "--format", "json", "--types", "dwarf", "--debug-root", debug_root_, dump});
    ASSERT_EQ(net_alone.exit_code, 0) << net_alone.err;
    ASSERT_EQ(net_dwarf.exit_code, 0) << net_dwarf.err;
    const nlohmann::json net = nlohmann::json::parse(net_alone.out);
    EXPECT_EQ(net["pinned_namespaces"].size(), 1u) << net.dump();
    EXPECT_EQ(WithoutSources(net), WithoutSources(nlohmann::json::parse(net_dwarf.out)));
  }
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyDumps, ::testing::ValuesIn(AllCases()),
                         [](const auto& info) { return ParamName(info.param.family + "_" + info.param.scenario); });

// The scenarios whose stacks and sockets the walks read (the module's spinning hook, a task blocked
// in the module, the pinned namespace).
std::vector<Case> WalkedCases() {
  std::vector<Case> out;
  for (const Case& c : AllCases()) {
    if (c.scenario == "veth-softlockup" || c.scenario == "netns-tcp-pinned" || c.scenario == "hung-task") out.push_back(c);
  }
  return out;
}
INSTANTIATE_TEST_SUITE_P(Families, FamilyDumpsAlone, ::testing::ValuesIn(WalkedCases()),
                         [](const auto& info) { return ParamName(info.param.family + "_" + info.param.scenario); });

}  // namespace
}  // namespace ktriage::testing
