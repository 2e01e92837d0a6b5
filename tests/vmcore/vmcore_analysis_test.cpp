// End to end on real dumps: ReadVmcore's facts, and the dump's log through the report pipeline
// with the caller id of every record.
#include "analyzer/vmcore/vmcore_analysis.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "analyzer/ingest/input_source.h"
#include "analyzer/report/log_analysis.h"
#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/kallsyms.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::testing {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class RealDump : public ::testing::TestWithParam<std::string> {};

// Every format of every scenario of the soft lockup and the sysrq panic, KASLR on and off.
TEST_P(RealDump, FactsOfTheDump) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  const auto path = dir / GetParam();
  auto dump = ReadVmcore({path.string()});
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  const VmcoreFacts& f = dump->facts;
  EXPECT_EQ(f.osrelease, "6.1.0-50-cloud-amd64");
  EXPECT_EQ(f.build_id, Trimmed(Slurp(dir / "kernel/build-id.txt")));
  EXPECT_EQ(f.arch, "x86_64");
  EXPECT_EQ(f.page_size, 4096u);
  ASSERT_EQ(f.cpus.size(), 2u);
  for (const auto& c : f.cpus) {
    ASSERT_TRUE(c.pc.has_value()) << "CPU " << c.cpu;
    EXPECT_FALSE(c.symbol.empty()) << "CPU " << c.cpu << " pc " << std::hex << *c.pc << " has no kallsyms name";
  }
  EXPECT_EQ(f.log_layout, "lockless");
  EXPECT_GT(f.log_records, 300u);
  ASSERT_TRUE(f.panic_cpu.has_value());
  EXPECT_TRUE(f.cpus[static_cast<size_t>(*f.panic_cpu)].panicked);
  EXPECT_FALSE(f.panic_message.empty());
  // Every line the console printed is in the dump's log (the console may lose none; the dump
  // holds the same records).
  ASSERT_TRUE(dump->log.has_value());
  const std::string log = FormatPrintkLog(*dump->log, false);
  const std::string console = Slurp(path.parent_path() / "console.log");
  std::istringstream lines(console);
  int missing = 0, checked = 0;
  for (std::string line; std::getline(lines, line);) {
    // The serial console ends lines with "\r\n".
    while (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("[", 0) != 0 || line.find("] ") == std::string::npos) continue;
    // The console can only show records up to the moment QEMU stopped the guest.
    ++checked;
    // The console repeats the timestamp on each line of a multi-line record; makedumpfile's
    // format indents them instead. Compare the message text.
    const std::string text = line.substr(line.find("] ") + 2);
    if (log.find(text) == std::string::npos) ++missing;
  }
  EXPECT_GT(checked, 300);
  EXPECT_EQ(missing, 0) << missing << " of " << checked << " console lines are not in the dump's log";
}

// The default read runs in a child process and sends its result back encoded: it must be the
// very result of reading in this process.
TEST_P(RealDump, IsolatedReadEqualsTheReadInThisProcess) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  const auto path = dir / GetParam();
  VmcoreReadOptions here;
  here.isolate = false;
  auto in_process = ReadVmcore({path.string()}, here);
  auto isolated = ReadVmcore({path.string()});
  ASSERT_TRUE(in_process.ok()) << in_process.error().message;
  ASSERT_TRUE(isolated.ok()) << isolated.error().message;
  ASSERT_TRUE(isolated->log.has_value());
  EXPECT_GT(isolated->log->records.size(), 300u);
  EXPECT_TRUE(*isolated == *in_process);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, RealDump,
    ::testing::Values("sysrq-nokaslr/vmcore.elf", "sysrq-nokaslr/vmcore.kdump-zlib", "sysrq-nokaslr/vmcore.kdump-zlib.flat",
                      "sysrq-kaslr/vmcore.elf", "sysrq-kaslr/vmcore.kdump-zlib", "sysrq-kaslr/vmcore.kdump-zlib.flat",
                      "veth-softlockup-kaslr/vmcore.kdump-zlib.flat", "veth-softlockup-nokaslr/vmcore.elf"),
    [](const auto& info) {
      std::string n = info.param;
      for (char& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(RealDumpLog, SoftLockupReportsAreSeparatedByCallerId) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  auto dump = ReadVmcore({(dir / "veth-softlockup-kaslr/vmcore.kdump-zlib.flat").string()});
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  ASSERT_TRUE(dump->log.has_value());
  const std::string text = FormatPrintkLog(*dump->log, /*with_caller=*/true);
  auto src = MemoryInput(text, "dump-log");
  LogAnalysis a = AnalyzeLog(*src).analysis;
  std::set<int> cpus;
  int lockups = 0;
  for (const auto& r : a.reports) {
    if (r.kind != ReportKind::kSoftLockup) continue;
    ++lockups;
    EXPECT_FALSE(r.interleaved) << "caller ids separate CPUs exactly";
    EXPECT_FALSE(r.corrupted) << r.corrupted_reason;
    ASSERT_TRUE(r.cpu.has_value());
    cpus.insert(*r.cpu);
    // The soft lockup watchdog prints from the stuck CPU's timer interrupt: caller C<cpu>.
    EXPECT_EQ(r.caller.kind, Caller::Kind::kCpu);
    EXPECT_EQ(static_cast<int>(r.caller.id), *r.cpu) << "the report's lines come from its own CPU";
    bool pick_tx = false;
    for (const auto& f : r.frames) pick_tx = pick_tx || f.function == "netdev_pick_tx";
    EXPECT_TRUE(pick_tx) << r.title;
  }
  EXPECT_GE(lockups, 2);
  EXPECT_EQ(cpus, (std::set<int>{0, 1}));
}

// ReadVmcore takes the panic CPU from the caller id of the panic record; the kernel's own
// panic_cpu variable (found by name through kallsyms, the slow way) must agree on every scenario.
TEST(RealDumpLog, PanicCpuOfTheLogIsTheKernelsPanicCpu) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  int compared = 0;
  for (const auto& scenario : std::filesystem::directory_iterator(dir)) {
    const auto path = scenario.path() / "vmcore.kdump-zlib";
    if (!std::filesystem::exists(path)) continue;
    SCOPED_TRACE(path.string());
    auto contents = ReadVmcore({path.string()});
    ASSERT_TRUE(contents.ok()) << contents.error().message;
    auto dump = DumpFile::Open({path.string()});
    ASSERT_TRUE(dump.ok()) << dump.error().message;
    auto syms = Kallsyms::Load(**dump, (*dump)->vmcoreinfo());
    ASSERT_TRUE(syms.ok()) << syms.error().message;
    auto address = syms->AddressOfOrError("panic_cpu");
    ASSERT_TRUE(address.ok()) << address.error().message;
    ASSERT_TRUE(address->has_value());
    auto value = (*dump)->ReadU32(**address);
    ASSERT_TRUE(value.ok()) << value.error().message;
    const int32_t kernels = static_cast<int32_t>(*value);
    ASSERT_GE(kernels, 0) << "every scenario panics";
    ASSERT_TRUE(contents->facts.panic_cpu.has_value());
    EXPECT_EQ(*contents->facts.panic_cpu, kernels);
    ++compared;
  }
  EXPECT_GE(compared, 8);
}

TEST(RealDumpLog, SeedVlanLinesAreInTheDump) {
  KTRIAGE_REQUIRE_DUMPS(dir);
  auto dump = ReadVmcore({(dir / "igb-vlan-seed-nokaslr/vmcore.kdump-zlib").string()});
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  ASSERT_TRUE(dump->log.has_value());
  const std::string text = FormatPrintkLog(*dump->log, false);
  EXPECT_NE(text.find("VF 2 attempted to override administratively set VLAN tag"), std::string::npos);
  EXPECT_NE(text.find("failed to kill vid 0081/0 for device eth1"), std::string::npos);
  EXPECT_EQ(dump->facts.panic_message, "sysrq triggered crash");
}

TEST(RealDumpLog, NotADumpIsAClearError) {
  auto r = ReadVmcore({KTRIAGE_SOURCE_DIR "/corpora/samples/veth-softlockup.log"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("veth-softlockup.log"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace ktriage::testing
