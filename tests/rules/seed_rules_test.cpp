// The seed rules on real data: the QEMU consoles of corpora/console and the kernel logs read out of
// the real dumps (corpora/dumps/make-dumps.sh; skipped with a message when not cached), with the
// shipped rule set loaded whole, as `ktriage analyze` uses it. Near misses must stay silent.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <set>

#include "analyzer/vmcore/printk_log.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "tests/rules/classify.h"
#include "rules/rule_loader.h"
#include "tests/vmcore/dump_cache.h"

// libkdumpfile leaks a little on some paths; the sanitizer build must not fail on it.
extern "C" const char* __lsan_default_suppressions() { return "leak:libkdumpfile.so\n"; }

namespace ktriage::rules {
namespace {

const std::string kSource = KTRIAGE_SOURCE_DIR;
const std::string kConsole = kSource + "/corpora/console/debian-6.1-qemu/";

constexpr char kVeth[] = "net.veth.softlockup-skb-tx-hash";
constexpr char kIgb[] = "net.igb.vf-vlan-override-nack";
constexpr char kNetns[] = "net.netns.tcp-timer-pins-netns";
constexpr char kUnregister[] = "net.netdev.unregister-wait";
constexpr char kSysrq[] = "kernel.panic.sysrq";

class SeedRules : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LoadedRules loaded = LoadRules({kSource + "/rules/shipped"});
    ASSERT_FALSE(loaded.has_errors());
    auto engine = RuleEngine::Create(loaded.rules);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = new std::shared_ptr<const RuleEngine>(*engine);
    auto analyzer = LogAnalyzer::Create();
    ASSERT_TRUE(analyzer.ok()) << analyzer.error().message;
    analyzer_ = new std::shared_ptr<const LogAnalyzer>(*analyzer);
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete analyzer_;
    engine_ = nullptr;
    analyzer_ = nullptr;
  }

  static InputResult ClassifyText(const std::string& text, const std::string& name) {
    auto source = MemoryInput(text, name);
    return ClassifyLog(*source, *analyzer_, *engine_);
  }
  static InputResult ClassifyFile(const std::string& path) {
    auto source = OpenInputFile(path);
    EXPECT_TRUE(source.ok()) << path;
    return ClassifyLog(**source, *analyzer_, *engine_);
  }
  // The dump's kernel log as `ktriage analyze DUMP` classifies it: every record with its caller id.
  static std::optional<InputResult> ClassifyDump(const std::filesystem::path& dump) {
    InputResult c = ClassifyPath(dump.string(), *analyzer_, *engine_);
    EXPECT_TRUE(c.errors.empty()) << dump << ": " << (c.errors.empty() ? "" : c.errors.front());
    if (!c.errors.empty()) return std::nullopt;
    EXPECT_TRUE(c.vmcore && !c.vmcore->log_layout.empty()) << dump << ": no printk log";
    if (!c.vmcore || c.vmcore->log_layout.empty()) return std::nullopt;
    return c;
  }

  static std::vector<Finding> Of(const InputResult& c, const std::string& rule_id) {
    std::vector<Finding> out;
    for (const Finding& f : c.findings)
      if (f.rule_id == rule_id) out.push_back(f);
    return out;
  }
  // Soft lockup reports stuck in netdev_pick_tx: what the veth rule must find, one each.
  static size_t PickTxLockups(const InputResult& c) {
    size_t n = 0;
    for (const CrashReport& r : c.analysis.reports) {
      if (r.kind != ReportKind::kSoftLockup) continue;
      for (const Frame& f : r.frames) {
        if (f.function == "netdev_pick_tx") {
          ++n;
          break;
        }
      }
    }
    return n;
  }

  static std::shared_ptr<const RuleEngine>* engine_;
  static std::shared_ptr<const LogAnalyzer>* analyzer_;
};
std::shared_ptr<const RuleEngine>* SeedRules::engine_ = nullptr;
std::shared_ptr<const LogAnalyzer>* SeedRules::analyzer_ = nullptr;

// The dumps each scenario is read from: the flattened kdump of the KASLR guest, the ELF of the other.
const std::vector<std::string> kVariants = {"-kaslr/vmcore.kdump-zlib.flat", "-nokaslr/vmcore.elf"};

// ---- veth soft lockup (seed 000) ---------------------------------------------------------------

TEST_F(SeedRules, VethSoftLockupOnTheConsole) {
  InputResult c = ClassifyFile(kConsole + "veth-softlockup.log");
  auto veth = Of(c, kVeth);
  ASSERT_EQ(PickTxLockups(c), 3u);
  ASSERT_EQ(veth.size(), 3u) << "one finding per soft lockup stuck in netdev_pick_tx";
  for (const Finding& f : veth) {
    ASSERT_TRUE(f.report.has_value());
    EXPECT_EQ(c.analysis.reports[*f.report].kind, ReportKind::kSoftLockup);
    EXPECT_EQ(f.severity, "high");
    EXPECT_NE(f.summary.find("in netdev_pick_tx/skb_tx_hash (ping)"), std::string::npos) << f.summary;
    EXPECT_EQ(f.fields.at("comm"), "ping");
  }
  EXPECT_EQ(veth[0].fields.at("stuck_cpu"), "1");
  EXPECT_EQ(veth[1].fields.at("stuck_cpu"), "0");
  // The general soft lockup rule leaves these to the specific one.
  EXPECT_TRUE(Of(c, "lockup.softlockup").empty());
}

TEST_F(SeedRules, VethSoftLockupOnTheSeedsReconstructedLogIsCorroborated) {
  InputResult c = ClassifyFile(kSource + "/corpora/samples/veth-softlockup.log");
  auto veth = Of(c, kVeth);
  ASSERT_EQ(veth.size(), 1u);
  EXPECT_TRUE(veth[0].corroborated) << "the deletion is on the stuck stack (rtnl_dellink)";
  EXPECT_NE(veth[0].summary.find("CPU 1 stuck for 26s"), std::string::npos) << veth[0].summary;
}

TEST_F(SeedRules, VethSoftLockupInTheDumps) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  for (const std::string& variant : kVariants) {
    SCOPED_TRACE(variant);
    auto c = ClassifyDump(dir / ("veth-softlockup" + variant));
    ASSERT_TRUE(c.has_value());
    const size_t lockups = PickTxLockups(*c);
    EXPECT_GE(lockups, 2u) << "both CPUs lock up";
    auto veth = Of(*c, kVeth);
    EXPECT_EQ(veth.size(), lockups);
    std::set<std::string> cpus;
    for (const Finding& f : veth) cpus.insert(f.fields.at("stuck_cpu"));
    EXPECT_EQ(cpus, (std::set<std::string>{"0", "1"}));
    EXPECT_TRUE(Of(*c, kIgb).empty());
    EXPECT_TRUE(Of(*c, kUnregister).empty());
  }
}

TEST_F(SeedRules, VethRuleStaysSilentOnOtherDumps) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  // The sysrq crash of the same kernel, and a veth being deleted without any lockup.
  for (const std::string scenario : {"sysrq", "netdev-refcount", "hung-task"}) {
    SCOPED_TRACE(scenario);
    auto c = ClassifyDump(dir / (scenario + kVariants[0]));
    ASSERT_TRUE(c.has_value());
    EXPECT_FALSE(c->analysis.reports.empty());
    EXPECT_TRUE(Of(*c, kVeth).empty());
  }
}

// ---- igb VF VLAN NACK (seed 003) ---------------------------------------------------------------

void ExpectIgbFinding(const std::vector<Finding>& igb) {
  ASSERT_EQ(igb.size(), 1u);
  EXPECT_EQ(igb[0].fields.at("vf"), "2");
  EXPECT_EQ(igb[0].fields.at("pf"), "0000:01:00.1");
  EXPECT_EQ(igb[0].fields.at("vid"), "0");
  EXPECT_EQ(igb[0].fields.at("vf_dev"), "eth1");
  EXPECT_TRUE(igb[0].corroborated) << "the PF set the VLAN administratively just before";
  EXPECT_GE(igb[0].evidence.size(), 3u) << "the NACK, the igbvf failure and the 802.1Q failure";
  EXPECT_FALSE(igb[0].report.has_value()) << "a correlation of lines, not a crash report";
}

TEST_F(SeedRules, IgbVlanNackOnTheConsole) {
  InputResult c = ClassifyFile(kConsole + "igb-vlan-seed.log");
  ExpectIgbFinding(Of(c, kIgb));
  // The same console ends with the scenario's sysrq crash.
  EXPECT_EQ(Of(c, kSysrq).size(), 1u);
}

TEST_F(SeedRules, IgbVlanNackInTheDumps) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  for (const std::string& variant : kVariants) {
    SCOPED_TRACE(variant);
    auto c = ClassifyDump(dir / ("igb-vlan-seed" + variant));
    ASSERT_TRUE(c.has_value());
    ExpectIgbFinding(Of(*c, kIgb));
  }
}

TEST_F(SeedRules, IgbRuleNeedsTheVfSideOfTheCorrelation) {
  // The console's lines without the VF's failures: the PF's NACK alone does not make the finding.
  InputResult full = ClassifyFile(kConsole + "igb-vlan-seed.log");
  std::string text;
  std::ifstream in(kConsole + "igb-vlan-seed.log");
  ASSERT_TRUE(in.good());
  for (std::string line; std::getline(in, line);) {
    if (line.find("Failed to remove vlan id") != std::string::npos || line.find("failed to kill vid") != std::string::npos)
      continue;
    text += line + "\n";
  }
  InputResult c = ClassifyText(text, "igb-vlan-seed.log without the VF's lines");
  EXPECT_TRUE(Of(c, kIgb).empty());
  EXPECT_EQ(Of(full, kIgb).size(), 1u);
}

TEST_F(SeedRules, IgbRuleStaysSilentOnTheSysrqDump) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  auto c = ClassifyDump(dir / ("sysrq" + kVariants[1]));
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(Of(*c, kIgb).empty());
  EXPECT_EQ(Of(*c, kSysrq).size(), 1u);
}

// ---- netdev reference leak and the pinned netns (seed 003) -------------------------------------

void ExpectUnregisterFinding(const std::vector<Finding>& f, size_t at_least_waits) {
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].fields.at("waiting_dev"), "veth0");
  EXPECT_EQ(f[0].fields.at("usage"), "2");
  EXPECT_GE(std::stoul(f[0].fields.at("count")), at_least_waits);
}

TEST_F(SeedRules, NetdevRefcountWaitOnTheConsole) {
  InputResult c = ClassifyFile(kConsole + "netdev-refcount.log");
  ExpectUnregisterFinding(Of(c, kUnregister), 10);
  EXPECT_TRUE(Of(c, kVeth).empty());
  EXPECT_TRUE(Of(c, kNetns).empty());
}

TEST_F(SeedRules, NetdevRefcountWaitInTheDumps) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  for (const std::string& variant : kVariants) {
    SCOPED_TRACE(variant);
    auto c = ClassifyDump(dir / ("netdev-refcount" + variant));
    ASSERT_TRUE(c.has_value());
    ExpectUnregisterFinding(Of(*c, kUnregister), 3);
  }
}

TEST_F(SeedRules, UnregisterRuleStaysSilentOnOtherConsoles) {
  for (const char* log : {"sysrq.log", "veth-softlockup.log", "igb-vlan-seed.log", "netns-tcp-pinned.log"}) {
    SCOPED_TRACE(log);
    EXPECT_TRUE(Of(ClassifyFile(kConsole + log), kUnregister).empty());
  }
}

// The netns-tcp-pinned scenario's state (an orphaned TCP socket holding the namespace) is only in
// the dump's memory: its log has nothing the netns rule could see, and no rule may guess.
TEST_F(SeedRules, PinnedNetnsLeavesNoTraceInTheLog) {
  InputResult console = ClassifyFile(kConsole + "netns-tcp-pinned.log");
  EXPECT_TRUE(Of(console, kNetns).empty());
  EXPECT_EQ(Of(console, kSysrq).size(), 1u);
  KTRIAGE_REQUIRE_DUMPS(dir);
  auto c = ClassifyDump(dir / ("netns-tcp-pinned" + kVariants[0]));
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(Of(*c, kNetns).empty());
  EXPECT_TRUE(Of(*c, kUnregister).empty());
}

}  // namespace
}  // namespace ktriage::rules
