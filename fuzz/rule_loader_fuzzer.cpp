// Fuzz target: bytes as a rule file (YAML) through the loader and its lint, then the rules that
// loaded compiled into an engine and evaluated (and explained) against a small soft-lockup log,
// so that patterns, captures, summaries and conditions of any shape are exercised end to end.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "analyzer/ingest/input_source.h"
#include "analyzer/report/log_analysis.h"
#include "rules/rule_engine.h"
#include "rules/rule_loader.h"

namespace {

using namespace ktriage;

constexpr std::string_view kLog =
    "[    0.000000] Linux version 6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian 6.1.153-1\n"
    "[ 5200.981246] device veth0 entered promiscuous mode\n"
    "[ 5256.508123] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [ip:2541]\n"
    "[ 5256.509217] Modules linked in: veth openvswitch nsh igb 8021q\n"
    "[ 5256.521634] CPU: 1 PID: 2541 Comm: ip Tainted: G             L     6.1.0-50-cloud-amd64 #1  Debian 6.1.153-1\n"
    "[ 5256.523287] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014\n"
    "[ 5256.524978] RIP: 0010:netdev_pick_tx+0x27c/0x294\n"
    "[ 5256.529737] RAX: 0000000000000005 RBX: ffff9b8a84e1c000 RCX: 0000000000000000\n"
    "[ 5256.540571] Call Trace:\n"
    "[ 5256.541037]  <TASK>\n"
    "[ 5256.541449]  netdev_core_pick_tx+0x9a/0xb0\n"
    "[ 5256.542197]  __dev_queue_xmit+0x1f7/0xd90\n"
    "[ 5256.543617]  ovs_vport_send+0xa6/0x170 [openvswitch]\n"
    "[ 5256.568054]  unregister_netdevice_many+0x155/0x8b0\n"
    "[ 5256.569586]  </TASK>\n"
    "[ 5256.570000] Kernel panic - not syncing: softlockup: hung tasks\n"
    "[ 5300.000000] igb 0000:01:00.0: VF 3 attempted to override administratively set VLAN tag\n";

const LogAnalyzer& Analyzer() {
  static const std::shared_ptr<const LogAnalyzer> analyzer = [] {
    Result<std::shared_ptr<const LogAnalyzer>> created = LogAnalyzer::Create();
    if (!created) std::abort();
    return *created;
  }();
  return *analyzer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  rules::LoadedRules loaded = rules::LoadRulesFromText(text, "fuzz.yaml");
  for (const rules::Diagnostic& d : loaded.diagnostics) (void)d.ToString();
  if (loaded.rules.empty()) return 0;

  Result<std::shared_ptr<const rules::RuleEngine>> engine = rules::RuleEngine::Create(std::move(loaded.rules));
  if (!engine) return 0;
  rules::RuleScanner scanner(*engine);
  std::unique_ptr<InputSource> source = MemoryInput(kLog, "fuzz.log");
  LogAnalysisResult result = Analyzer().Analyze(
      *source, [&](CrashReport&& report) { scanner.OnReport(report); },
      [&](const LogLine& line) { scanner.OnLine(line); });
  rules::SystemFacts system;
  system.release = result.analysis.system.kernel_release;
  scanner.SetSystem(std::move(system));
  (void)scanner.Evaluate();
  for (const rules::Rule& rule : (*engine)->rules()) (void)scanner.Explain(rule.id);
  return 0;
}
