// The child-to-parent encoding of VmcoreContents: every field survives, and bytes cut short or
// garbled are an error, never a partial result.
#include "analyzer/vmcore/vmcore_wire.h"

#include <gtest/gtest.h>

namespace ktriage {
namespace {

// Every field set to something other than its default, so that a field the encoding forgets
// fails the comparison.
VmcoreContents Populated() {
  VmcoreContents c;
  VmcoreFacts& f = c.facts;
  f.format = "flattened diskdump";
  f.compression = "zstd";
  f.arch = "x86_64";
  f.arch_derived = true;
  f.osrelease = "6.1.0-50-cloud-amd64";
  f.build_id = "bb603a9147d3efe4744bf83c83eee397c591cc20";
  f.page_size = 4096;
  f.kernel_offset = 0x2e000000;
  f.crash_time = 1763800000;
  VmcoreCpu cpu0;
  cpu0.cpu = 0;
  cpu0.pid = 1;
  cpu0.pc = 0xffffffff819b95c3;
  cpu0.symbol = "delay_tsc+0x33/0xa0";
  cpu0.source = "arch/x86/lib/delay.c:81";
  cpu0.inlined = {{"rdtsc_ordered", "arch/x86/include/asm/msr.h:217"}};
  cpu0.panicked = true;
  VmcoreCpu cpu1;
  cpu1.cpu = 1;  // no pid, no pc: the optionals' empty state travels too
  f.cpus = {cpu0, cpu1};
  f.panic_cpu = 0;
  f.panic_message = "softlockup: hung tasks";
  f.log_layout = "lockless";
  f.log_records = 2;
  f.log_skipped = 1;
  f.kallsyms_symbols = 87182;
  f.vmcoreinfo = "OSRELEASE=6.1.0-50-cloud-amd64\nPAGESIZE=4096\n";
  f.warnings = {"arch.name missing", "printk log: one descriptor reused"};
  PrintkLog log;
  log.layout = PrintkLog::Layout::kStructured;
  PrintkRecord r1;
  r1.sequence = 41;
  r1.timestamp_ns = 1954573000;
  r1.level = 4;
  r1.facility = 3;
  r1.caller = {Caller::Kind::kCpu, 1};
  r1.text = "watchdog: BUG: soft lockup - CPU#1 stuck for 22s!";
  PrintkRecord r2;
  r2.sequence = 0xffffffff00000001;
  r2.timestamp_ns = ~uint64_t{0};
  r2.level = 7;
  r2.caller = {Caller::Kind::kThread, 0xfffffff0};
  r2.text = std::string("binary\0and\nlines", 16);
  log.records = {r1, r2};
  log.skipped_records = 3;
  log.warnings = {"a data block out of range"};
  c.log = log;
  return c;
}

TEST(VmcoreWireTest, EveryFieldSurvives) {
  const VmcoreContents original = Populated();
  Result<VmcoreContents> back = DecodeVmcoreContents(EncodeVmcoreContents(original));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == original);
  EXPECT_EQ(back->log->records[1].text.size(), 16u);
  EXPECT_EQ(back->log->records[1].caller.id, 0xfffffff0u);
}

TEST(VmcoreWireTest, AnAbsentLogStaysAbsent) {
  VmcoreContents original = Populated();
  original.log.reset();
  Result<VmcoreContents> back = DecodeVmcoreContents(EncodeVmcoreContents(original));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_FALSE(back->log.has_value());
  EXPECT_TRUE(*back == original);
}

TEST(VmcoreWireTest, EveryShorterPrefixIsAnError) {
  const std::string bytes = EncodeVmcoreContents(Populated());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeVmcoreContents(std::string_view(bytes).substr(0, n)).ok()) << "prefix of " << n << " bytes";
  }
}

TEST(VmcoreWireTest, TrailingBytesAreAnError) {
  EXPECT_FALSE(DecodeVmcoreContents(EncodeVmcoreContents(Populated()) + "x").ok());
}

TEST(VmcoreWireTest, AHugeCountIsRefusedWithoutAllocating) {
  // The facts start with the format string's length: claim 2^62 bytes.
  std::string bytes = EncodeVmcoreContents(Populated());
  bytes[7] = 0x40;
  EXPECT_FALSE(DecodeVmcoreContents(bytes).ok());
}

}  // namespace
}  // namespace ktriage
