// End to end on the real soft-lockup dumps: the dump's log goes through the report pipeline and
// ReportSymbolizer finds vmlinux by the dump's BUILD-ID in the real debuginfo, with and without
// KASLR. The two soft lockups' frames and both CPUs' PCs get source lines.
#include <gtest/gtest.h>

#include "analyzer/ingest/input_source.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/symbolize/report_symbolizer.h"
#include "analyzer/vmcore/printk_log.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage {
namespace {

class SoftLockupDump : public ::testing::TestWithParam<std::string> {};

TEST_P(SoftLockupDump, ReportsAndCpusAreSymbolizedFromTheDumpsBuildId) {
  KTRIAGE_REQUIRE_DUMPS(dumps);
  KTRIAGE_REQUIRE_DEBUGINFO(debuginfo);
  Result<VmcoreContents> dump = ReadVmcore({(dumps / GetParam() / "vmcore.kdump-zlib").string()});
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  ASSERT_TRUE(dump->log.has_value());

  ReportSymbolizerOptions options;
  // Only the .build-id tree may find vmlinux: the release's path is left out of the search by
  // pointing the module roots nowhere and asking for no release.
  options.search.debug_roots = {testing::DebuginfoDebugRoot(debuginfo).string()};
  options.search.module_roots = {};
  ReportSymbolizer symbolizer(options);
  VmcoreFacts facts = dump->facts;
  symbolizer.Annotate(facts);
  ASSERT_EQ(facts.cpus.size(), 2u);
  for (const VmcoreCpu& cpu : facts.cpus) {
    // KERNELOFFSET was taken off: the PC lands in the function kallsyms named.
    EXPECT_FALSE(cpu.source.empty()) << "CPU " << cpu.cpu << " " << cpu.symbol;
    EXPECT_NE(cpu.source.find(".c:"), std::string::npos) << cpu.source;
  }

  auto analyzer = LogAnalyzer::Create();
  ASSERT_TRUE(analyzer.ok());
  const std::string text = FormatPrintkLog(*dump->log, /*with_caller=*/true);
  auto source = MemoryInput(text, GetParam());
  std::vector<CrashReport> lockups;
  (*analyzer)->Analyze(*source, [&](CrashReport&& r) {
    symbolizer.Annotate(r, facts.build_id);
    if (r.kind == ReportKind::kSoftLockup) lockups.push_back(std::move(r));
  });
  ASSERT_GE(lockups.size(), 2u);  // one per CPU, and the report that panics
  for (const CrashReport& r : lockups) {
    SCOPED_TRACE(r.title + " on CPU " + std::to_string(r.cpu.value_or(-1)));
    bool pick_tx = false;
    size_t core_frames = 0, symbolized = 0;
    for (const Frame& f : r.frames) {
      if (!f.module.empty() || f.function.empty()) continue;
      ++core_frames;
      symbolized += f.symbolized;
      if (f.function == "netdev_core_pick_tx") {
        pick_tx = true;
        EXPECT_TRUE(f.symbolized);
        EXPECT_EQ(f.source.rfind("net/core/dev.c:", 0), 0u) << f.source;
      }
    }
    EXPECT_TRUE(pick_tx);
    // The core kernel's frames all resolve; "? prev+0x20/0x20" stack garbage may not.
    EXPECT_GE(symbolized * 10, core_frames * 9) << symbolized << " of " << core_frames;
  }
  std::vector<std::string> used = symbolizer.TakeDebuginfo();
  ASSERT_EQ(used.size(), 1u);
  EXPECT_NE(used[0].find("/.build-id/"), std::string::npos) << used[0];
  // The test module has no debuginfo: said once, with what was searched.
  std::vector<std::string> notes = symbolizer.TakeNotes();
  bool module_note = false;
  for (const std::string& n : notes) module_note = module_note || n.find("no debuginfo for module ktriage_test") == 0;
  EXPECT_TRUE(module_note);
}

INSTANTIATE_TEST_SUITE_P(Variants, SoftLockupDump, ::testing::Values("veth-softlockup-nokaslr", "veth-softlockup-kaslr"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace ktriage
