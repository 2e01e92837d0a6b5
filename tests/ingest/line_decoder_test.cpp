// LineDecoder: one test per transport with lines shaped as the real tools print them, plus
// console captures and byte sequences a fuzzer would try.
#include "analyzer/ingest/line_decoder.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "ingest_test_util.h"

namespace ktriage {
namespace {

using testing::DecodeLines;
using testing::DecodeOne;
using testing::OwnedLine;

TEST(LineDecoder, RawDmesg) {
  auto l = DecodeOne("[   12.345678] usb 1-1: new high-speed USB device number 2 using xhci_hcd");
  EXPECT_EQ(l.format, LogFormat::kDmesg);
  EXPECT_EQ(l.text, "usb 1-1: new high-speed USB device number 2 using xhci_hcd");
  ASSERT_TRUE(l.timestamp);
  EXPECT_DOUBLE_EQ(*l.timestamp, 12.345678);
  EXPECT_TRUE(l.kernel);
  EXPECT_EQ(l.level, -1);
  EXPECT_FALSE(l.caller.known());
  EXPECT_TRUE(l.host.empty());

  auto boot = DecodeOne("[    0.000000] Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)");
  ASSERT_TRUE(boot.timestamp);
  EXPECT_DOUBLE_EQ(*boot.timestamp, 0.0);
  EXPECT_EQ(boot.text, "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)");

  auto big = DecodeOne("[1234567.000001] watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [veth0:1234]");
  ASSERT_TRUE(big.timestamp);
  EXPECT_DOUBLE_EQ(*big.timestamp, 1234567.000001);
  EXPECT_EQ(big.text, "watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [veth0:1234]");

  // The message itself may start with a bracket; only the first one is the timestamp.
  auto trace = DecodeOne("[  101.000100]  [<ffffffff8108a0b5>] warn_slowpath_common+0x85/0xc0");
  EXPECT_EQ(trace.text, " [<ffffffff8108a0b5>] warn_slowpath_common+0x85/0xc0");
}

TEST(LineDecoder, CallerIds) {
  auto cpu = DecodeOne("[   50.500958][    C1] BUG: KASAN: use-after-free in pn533_send_complete+0x47/0x6c");
  EXPECT_EQ(cpu.format, LogFormat::kDmesg);
  EXPECT_EQ(cpu.caller, (Caller{Caller::Kind::kCpu, 1}));
  EXPECT_EQ(cpu.text, "BUG: KASAN: use-after-free in pn533_send_complete+0x47/0x6c");
  ASSERT_TRUE(cpu.timestamp);
  EXPECT_DOUBLE_EQ(*cpu.timestamp, 50.500958);

  auto thread = DecodeOne("[   36.852785][ T3615] traps: syz-executor229[3615] general protection fault");
  EXPECT_EQ(thread.caller, (Caller{Caller::Kind::kThread, 3615}));
  EXPECT_EQ(thread.text, "traps: syz-executor229[3615] general protection fault");

  // Not a caller id: the message starts with a bracketed word.
  auto notcaller = DecodeOne("[   36.852785] [TTM] Zone  kernel: Available graphics memory");
  EXPECT_FALSE(notcaller.caller.known());
  EXPECT_EQ(notcaller.text, "[TTM] Zone  kernel: Available graphics memory");
}

TEST(LineDecoder, SyslogPriorityPrefixAndDmesgRaw) {
  auto warn = DecodeOne("<4>[   12.345678] WARNING: CPU: 0 PID: 1 at net/core/dev.c:3190 skb_warn_bad_offload+0x8e/0x110");
  EXPECT_EQ(warn.format, LogFormat::kDmesg);
  EXPECT_EQ(warn.level, 4);
  ASSERT_TRUE(warn.timestamp);
  EXPECT_DOUBLE_EQ(*warn.timestamp, 12.345678);
  EXPECT_EQ(warn.text, "WARNING: CPU: 0 PID: 1 at net/core/dev.c:3190 skb_warn_bad_offload+0x8e/0x110");
  EXPECT_TRUE(warn.kernel);

  auto info = DecodeOne("<6>[   12.3] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex");
  EXPECT_EQ(info.level, 6);
  EXPECT_DOUBLE_EQ(*info.timestamp, 12.3);

  // systemd writes to /dev/kmsg with facility daemon (3 << 3 | 6 = 30): not a kernel message.
  auto user = DecodeOne("<30>[    5.100000] systemd[1]: Started Journal Service.");
  EXPECT_EQ(user.level, 6);
  EXPECT_FALSE(user.kernel);
  EXPECT_EQ(user.text, "systemd[1]: Started Journal Service.");

  auto notime = DecodeOne("<3>nouveau 0000:01:00.0: DRM: failed to create kernel channel, -22");
  EXPECT_EQ(notime.level, 3);
  EXPECT_FALSE(notime.timestamp);
  EXPECT_EQ(notime.text, "nouveau 0000:01:00.0: DRM: failed to create kernel channel, -22");

  // Not a priority: plain text.
  auto lt = DecodeOne("<- this is not a prefix");
  EXPECT_EQ(lt.format, LogFormat::kPlain);
  EXPECT_EQ(lt.text, "<- this is not a prefix");
}

TEST(LineDecoder, DmesgHumanTime) {
  auto l = DecodeOne("[Sat Nov 22 10:00:00 2026] usb 1-1: USB disconnect, device number 2");
  EXPECT_EQ(l.format, LogFormat::kDmesgHuman);
  EXPECT_FALSE(l.timestamp);  // wall clock, not seconds since boot
  EXPECT_EQ(l.text, "usb 1-1: USB disconnect, device number 2");
  EXPECT_TRUE(l.kernel);

  auto padded = DecodeOne("[Mon Nov  2 09:05:07 2026] igbvf 0000:00:05.0: VLAN 100 override denied");
  EXPECT_EQ(padded.format, LogFormat::kDmesgHuman);
  EXPECT_EQ(padded.text, "igbvf 0000:00:05.0: VLAN 100 override denied");
}

TEST(LineDecoder, DmesgDecoded) {
  auto warn = DecodeOne("kern  :warn  : [   12.345678] WARNING: CPU: 2 PID: 0 at kernel/time/timer.c:1 x");
  EXPECT_EQ(warn.format, LogFormat::kDmesgDecoded);
  EXPECT_EQ(warn.level, 4);
  EXPECT_TRUE(warn.kernel);
  ASSERT_TRUE(warn.timestamp);
  EXPECT_DOUBLE_EQ(*warn.timestamp, 12.345678);
  EXPECT_EQ(warn.text, "WARNING: CPU: 2 PID: 0 at kernel/time/timer.c:1 x");

  auto err = DecodeOne("kern  :err   : [  100.000001] igb 0000:03:00.0: VF 1 attempted to override administratively set VLAN tag");
  EXPECT_EQ(err.level, 3);
  EXPECT_EQ(err.text, "igb 0000:03:00.0: VF 1 attempted to override administratively set VLAN tag");

  auto user = DecodeOne("user  :notice: [    5.200000] systemd[1]: Started Load Kernel Modules.");
  EXPECT_EQ(user.level, 5);
  EXPECT_FALSE(user.kernel);

  auto emerg = DecodeOne("kern  :emerg : [  200.000000] Kernel panic - not syncing: Fatal exception");
  EXPECT_EQ(emerg.level, 0);
  EXPECT_EQ(emerg.text, "Kernel panic - not syncing: Fatal exception");

  // A lower-case word and a colon is not enough.
  auto plain = DecodeOne("kernel: not a decoded line");
  EXPECT_EQ(plain.format, LogFormat::kPlain);
}

TEST(LineDecoder, KmsgRecordsAndContinuation) {
  auto lines = DecodeLines({
      "6,1234,5678901,-;usb 1-1: new high-speed USB device number 2 using xhci_hcd",
      " SUBSYSTEM=usb",
      " DEVICE=c189:1",
      "4,1300,12345678,-,caller=T123;WARNING: CPU: 1 PID: 123 at net/core/dev.c:3190 x",
      "3,1301,12345679,c,caller=C2;igb 0000:03:00.0: VF 1 attempted to override VLAN",
      "30,1302,12345680,-;systemd[1]: Started foo.",
      "[   12.000000] after kmsg",
      " SUBSYSTEM=usb",
  });
  EXPECT_EQ(lines[0].format, LogFormat::kKmsg);
  EXPECT_EQ(lines[0].level, 6);
  ASSERT_TRUE(lines[0].timestamp);
  EXPECT_DOUBLE_EQ(*lines[0].timestamp, 5.678901);
  EXPECT_EQ(lines[0].text, "usb 1-1: new high-speed USB device number 2 using xhci_hcd");
  EXPECT_TRUE(lines[0].kernel);

  EXPECT_EQ(lines[1].format, LogFormat::kKmsg);
  EXPECT_FALSE(lines[1].kernel);
  EXPECT_EQ(lines[1].text, "SUBSYSTEM=usb");
  EXPECT_FALSE(lines[2].kernel);

  EXPECT_EQ(lines[3].level, 4);
  EXPECT_EQ(lines[3].caller, (Caller{Caller::Kind::kThread, 123}));
  EXPECT_EQ(lines[3].text, "WARNING: CPU: 1 PID: 123 at net/core/dev.c:3190 x");
  EXPECT_EQ(lines[4].caller, (Caller{Caller::Kind::kCpu, 2}));
  EXPECT_EQ(lines[4].level, 3);

  EXPECT_FALSE(lines[5].kernel);  // facility daemon
  EXPECT_EQ(lines[5].level, 6);

  // " KEY=value" only continues a kmsg record; after a dmesg line it is plain kernel text.
  EXPECT_EQ(lines[7].format, LogFormat::kPlain);
  EXPECT_TRUE(lines[7].kernel);

  // Digits and commas that are not a kmsg header.
  EXPECT_EQ(DecodeOne("1,2,3,x;y").format, LogFormat::kPlain);
  EXPECT_EQ(DecodeOne("4,5").format, LogFormat::kPlain);
}

TEST(LineDecoder, SyslogRfc3164) {
  auto lines = DecodeLines({
      "Nov 22 10:00:00 myhost kernel: [    1.234567] ACPI: Core revision 20220331",
      "Nov 22 10:00:01 myhost kernel: igb 0000:01:00.0: added PHC on eth0",
      "Nov 22 10:00:02 myhost systemd[1]: Started Session 1 of user root.",
      "Nov  2 10:00:03 myhost kernel: [    2.000000][  T200] netdev_pick_tx+0x27c/0x294",
      "Sep 21 16:36:22 dhcp-24-159.brq.redhat.com /usr/libexec/gdm-x-session[1115]: (EE) Backtrace:",
      "Nov 22 10:00:04 myhost kernel: ",
  });
  EXPECT_EQ(lines[0].format, LogFormat::kSyslog);
  EXPECT_EQ(lines[0].host, "myhost");
  EXPECT_TRUE(lines[0].kernel);
  ASSERT_TRUE(lines[0].timestamp);
  EXPECT_DOUBLE_EQ(*lines[0].timestamp, 1.234567);
  EXPECT_EQ(lines[0].text, "ACPI: Core revision 20220331");

  EXPECT_TRUE(lines[1].kernel);
  EXPECT_FALSE(lines[1].timestamp);  // rsyslog without kernel timestamps
  EXPECT_EQ(lines[1].text, "igb 0000:01:00.0: added PHC on eth0");

  EXPECT_EQ(lines[2].format, LogFormat::kSyslog);
  EXPECT_FALSE(lines[2].kernel);
  EXPECT_EQ(lines[2].text, "Started Session 1 of user root.");

  EXPECT_TRUE(lines[3].kernel);
  EXPECT_EQ(lines[3].caller, (Caller{Caller::Kind::kThread, 200}));
  EXPECT_EQ(lines[3].text, "netdev_pick_tx+0x27c/0x294");

  EXPECT_FALSE(lines[4].kernel);
  EXPECT_EQ(lines[4].host, "dhcp-24-159.brq.redhat.com");
  EXPECT_EQ(lines[4].text, "(EE) Backtrace:");

  EXPECT_TRUE(lines[5].kernel);
  EXPECT_EQ(lines[5].text, "");

  // RFC 3164 with a PRI, as received on the wire.
  auto pri = DecodeOne("<4>Nov 22 10:00:00 myhost kernel: [    3.000000] WARNING: at x");
  EXPECT_EQ(pri.format, LogFormat::kSyslog);
  EXPECT_EQ(pri.level, 4);
  EXPECT_EQ(pri.text, "WARNING: at x");
}

TEST(LineDecoder, SyslogIsoTimestamp) {
  auto l = DecodeOne("2026-11-22T10:00:00.123456+00:00 myhost kernel: [   12.345678] BUG: unable to handle page fault for address: ffff888000000000");
  EXPECT_EQ(l.format, LogFormat::kSyslog);
  EXPECT_EQ(l.host, "myhost");
  EXPECT_TRUE(l.kernel);
  ASSERT_TRUE(l.timestamp);
  EXPECT_DOUBLE_EQ(*l.timestamp, 12.345678);
  EXPECT_EQ(l.text, "BUG: unable to handle page fault for address: ffff888000000000");

  auto other = DecodeOne("2026-11-22T10:00:00.5-05:00 myhost sshd[999]: Accepted publickey for root");
  EXPECT_EQ(other.format, LogFormat::kSyslog);
  EXPECT_FALSE(other.kernel);
  EXPECT_EQ(other.text, "Accepted publickey for root");
}

TEST(LineDecoder, SyslogRfc5424) {
  auto l = DecodeOne("<4>1 2026-11-22T10:00:00.000Z myhost kernel - - - WARNING: CPU: 1 PID: 0 at net/sched/sch_generic.c:477 dev_watchdog+0x21e/0x230");
  EXPECT_EQ(l.format, LogFormat::kSyslog5424);
  EXPECT_EQ(l.level, 4);
  EXPECT_EQ(l.host, "myhost");
  EXPECT_TRUE(l.kernel);
  EXPECT_EQ(l.text, "WARNING: CPU: 1 PID: 0 at net/sched/sch_generic.c:477 dev_watchdog+0x21e/0x230");

  auto sd = DecodeOne(R"(<6>1 2026-11-22T10:00:00Z myhost kernel - - [meta sequenceId="1" note="a\]b"][origin ip="10.0.0.1"] [   7.000000] usb 1-1: reset)");
  EXPECT_EQ(sd.format, LogFormat::kSyslog5424);
  EXPECT_EQ(sd.level, 6);
  ASSERT_TRUE(sd.timestamp);
  EXPECT_DOUBLE_EQ(*sd.timestamp, 7.0);
  EXPECT_EQ(sd.text, "usb 1-1: reset");

  auto sshd = DecodeOne("<38>1 2026-11-22T10:00:00+01:00 myhost sshd 1234 - - \xEF\xBB\xBF" "Accepted publickey");
  EXPECT_EQ(sshd.format, LogFormat::kSyslog5424);
  EXPECT_FALSE(sshd.kernel);
  EXPECT_EQ(sshd.text, "Accepted publickey");

  auto nomsg = DecodeOne("<4>1 - - kernel - - -");
  EXPECT_EQ(nomsg.format, LogFormat::kSyslog5424);
  EXPECT_TRUE(nomsg.host.empty());
  EXPECT_EQ(nomsg.text, "");
}

TEST(LineDecoder, JournalShortIsoAndPrecise) {
  auto iso = DecodeOne("2026-11-22T10:00:00+0000 myhost kernel: igbvf 0000:00:05.0: PF still resetting");
  EXPECT_EQ(iso.format, LogFormat::kJournalIso);
  EXPECT_EQ(iso.host, "myhost");
  EXPECT_TRUE(iso.kernel);
  EXPECT_EQ(iso.text, "igbvf 0000:00:05.0: PF still resetting");

  auto iso_precise = DecodeOne("2026-11-22T10:00:00.123456+0100 myhost NetworkManager[612]: <info> device (eth0): state change");
  EXPECT_EQ(iso_precise.format, LogFormat::kJournalIso);
  EXPECT_FALSE(iso_precise.kernel);

  auto precise = DecodeOne("Nov 22 10:00:00.123456 myhost kernel: veth0: entered promiscuous mode");
  EXPECT_EQ(precise.format, LogFormat::kJournalPrecise);
  EXPECT_EQ(precise.host, "myhost");
  EXPECT_TRUE(precise.kernel);
  EXPECT_EQ(precise.text, "veth0: entered promiscuous mode");
}

TEST(LineDecoder, JournalShortAfterMarker) {
  auto lines = DecodeLines({
      "Nov 22 09:59:59 myhost kernel: before the marker",
      "-- Journal begins at Sat 2026-11-22 09:00:00 UTC, ends at Sat 2026-11-22 10:00:00 UTC. --",
      "Nov 22 10:00:00 myhost kernel: Linux version 6.1.0",
      "-- Boot 0f1e2d3c4b5a69788796a5b4c3d2e1f0 --",
  });
  EXPECT_EQ(lines[0].format, LogFormat::kSyslog);
  EXPECT_FALSE(lines[1].kernel);
  EXPECT_EQ(lines[2].format, LogFormat::kJournalShort);
  EXPECT_EQ(lines[2].text, "Linux version 6.1.0");
  EXPECT_FALSE(lines[3].kernel);
}

TEST(LineDecoder, JournalMonotonicVersusDmesg) {
  auto lines = DecodeLines({
      "[   12.345678] myhost kernel: usb 1-1: new high-speed USB device number 2 using xhci_hcd",
      "[   13.000000] myhost systemd[1]: Started Journal Service.",
      "[   14.000000] myhost kernel: BUG: soft lockup - CPU#0 stuck for 23s!",
  });
  EXPECT_EQ(lines[0].format, LogFormat::kJournalMonotonic);
  EXPECT_EQ(lines[0].host, "myhost");
  EXPECT_TRUE(lines[0].kernel);
  ASSERT_TRUE(lines[0].timestamp);
  EXPECT_DOUBLE_EQ(*lines[0].timestamp, 12.345678);
  EXPECT_EQ(lines[0].text, "usb 1-1: new high-speed USB device number 2 using xhci_hcd");
  EXPECT_EQ(lines[1].format, LogFormat::kJournalMonotonic);
  EXPECT_FALSE(lines[1].kernel);
  EXPECT_EQ(lines[1].text, "Started Journal Service.");
  EXPECT_EQ(lines[2].text, "BUG: soft lockup - CPU#0 stuck for 23s!");

  // The same shapes in a plain dmesg stay dmesg: "usb 1-1:" is not "host tag:".
  auto dmesg = DecodeLines({
      "[   12.345678] usb 1-1: new high-speed USB device number 2 using xhci_hcd",
      "[   13.000000] pci 0000:00:01.0: [8086:1237] type 00 class 0x060000",
      "[   14.000000] systemd[1]: Detected virtualization kvm.",
  });
  for (const OwnedLine& l : dmesg) {
    EXPECT_EQ(l.format, LogFormat::kDmesg) << l.text;
    EXPECT_TRUE(l.kernel);
    EXPECT_TRUE(l.host.empty());
  }
  EXPECT_EQ(dmesg[0].text, "usb 1-1: new high-speed USB device number 2 using xhci_hcd");

  // After journalctl's header, a program's line before any kernel line is journal too.
  auto after_marker = DecodeLines({
      "-- Journal begins at Sat 2026-11-22 09:00:00 UTC, ends at Sat 2026-11-22 10:00:00 UTC. --",
      "[    1.500000] myhost systemd-journald[100]: Journal started",
  });
  EXPECT_EQ(after_marker[1].format, LogFormat::kJournalMonotonic);
  EXPECT_FALSE(after_marker[1].kernel);
  EXPECT_EQ(after_marker[1].host, "myhost");
}

TEST(LineDecoder, JournalJson) {
  auto lines = DecodeLines({
      R"({"__CURSOR":"s=6c0e;i=1a2b","__REALTIME_TIMESTAMP":"1795341600123456","__MONOTONIC_TIMESTAMP":"12345700","_BOOT_ID":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","_TRANSPORT":"kernel","PRIORITY":"4","SYSLOG_FACILITY":"0","SYSLOG_IDENTIFIER":"kernel","_SOURCE_MONOTONIC_TIMESTAMP":"12345678","_HOSTNAME":"myhost","MESSAGE":"WARNING: CPU: 3 PID: 0 at net/core/dev.c:3190 skb_warn_bad_offload+0x8e/0x110"})",
      R"({"_TRANSPORT":"kernel","PRIORITY":"3","_HOSTNAME":"myhost","_SOURCE_MONOTONIC_TIMESTAMP":"20000000","MESSAGE":[105,103,98,58,32,98,97,100,32,255,254,32,98,121,116,101,115]})",
      R"({"_TRANSPORT":"syslog","PRIORITY":"6","SYSLOG_IDENTIFIER":"sshd","_HOSTNAME":"myhost","MESSAGE":"Accepted publickey for root"})",
      R"({"SYSLOG_IDENTIFIER":"kernel","MESSAGE":"no transport field","PRIORITY":6})",
      R"({"MESSAGE": not json)",
  });
  const OwnedLine& k = lines[0];
  EXPECT_EQ(k.format, LogFormat::kJournalJson);
  EXPECT_TRUE(k.kernel);
  EXPECT_EQ(k.level, 4);
  ASSERT_TRUE(k.timestamp);
  EXPECT_DOUBLE_EQ(*k.timestamp, 12.345678);
  EXPECT_EQ(k.host, "myhost");
  EXPECT_EQ(k.text, "WARNING: CPU: 3 PID: 0 at net/core/dev.c:3190 skb_warn_bad_offload+0x8e/0x110");

  // Non-UTF-8 messages come as byte arrays; the bytes pass through unchanged.
  EXPECT_EQ(lines[1].text, std::string("igb: bad \xff\xfe bytes"));
  EXPECT_EQ(lines[1].level, 3);
  EXPECT_DOUBLE_EQ(*lines[1].timestamp, 20.0);

  EXPECT_EQ(lines[2].format, LogFormat::kJournalJson);
  EXPECT_FALSE(lines[2].kernel);
  EXPECT_EQ(lines[2].text, "Accepted publickey for root");

  EXPECT_TRUE(lines[3].kernel);
  EXPECT_EQ(lines[3].level, 6);
  EXPECT_FALSE(lines[3].timestamp);

  EXPECT_EQ(lines[4].format, LogFormat::kPlain);
  EXPECT_EQ(lines[4].text, R"({"MESSAGE": not json)");
}

TEST(LineDecoder, ConsoleAnsiAndCarriageReturns) {
  auto colored = DecodeOne("\x1b[0;32m[   12.345678] \x1b[0musb 1-1: reset high-speed USB device\r");
  EXPECT_EQ(colored.format, LogFormat::kDmesg);
  EXPECT_DOUBLE_EQ(*colored.timestamp, 12.345678);
  EXPECT_EQ(colored.text, "usb 1-1: reset high-speed USB device");

  // Debian's init status line as a serial console records it (from a real syzkaller log).
  auto init = DecodeOne("[....] Starting periodic command scheduler: cron\x1b[?25l\x1b[?1c\x1b" "7\x1b[1G[\x1b[32m ok \x1b[39;49m\x1b" "8\x1b[?25h\x1b[?0c.");
  EXPECT_EQ(init.text, "[....] Starting periodic command scheduler: cron[ ok .");

  auto osc = DecodeOne("\x1b]0;root@syzkaller: ~\x07\x1b(B[    3.000000] eth0: link up");
  EXPECT_EQ(osc.format, LogFormat::kDmesg);
  EXPECT_EQ(osc.text, "eth0: link up");

  auto backspace = DecodeOne("[    4.000000] typo\b\b\bext fixed");
  EXPECT_EQ(backspace.text, "text fixed");

  // An escape cut at the end of the line, and a backspace at its start.
  EXPECT_EQ(DecodeOne("\b\bfoo\x1b[31").text, "foo");
  EXPECT_EQ(DecodeOne("bar\x1b").text, "bar");
}

TEST(LineDecoder, LoginPromptGluedBeforeKernelLine) {
  auto syz = DecodeOne("syzkaller login: [   16.305150] INFO: trying to register non-static key.");
  EXPECT_EQ(syz.format, LogFormat::kDmesg);
  EXPECT_TRUE(syz.kernel);
  ASSERT_TRUE(syz.timestamp);
  EXPECT_DOUBLE_EQ(*syz.timestamp, 16.305150);
  EXPECT_EQ(syz.text, "INFO: trying to register non-static key.");

  auto caller = DecodeOne("debian login: [    1.200000][    T1] Run /sbin/init as init process");
  EXPECT_EQ(caller.caller, (Caller{Caller::Kind::kThread, 1}));
  EXPECT_EQ(caller.text, "Run /sbin/init as init process");

  auto shell = DecodeOne("root@syzkaller:~# [   99.000000] BUG: KASAN: slab-out-of-bounds in foo");
  EXPECT_EQ(shell.text, "BUG: KASAN: slab-out-of-bounds in foo");

  // Plain kernel text with a bracketed number after a colon is left alone.
  auto plain = DecodeOne("Code: [   12.3] is not a prompt");
  EXPECT_EQ(plain.format, LogFormat::kPlain);
  EXPECT_EQ(plain.text, "Code: [   12.3] is not a prompt");
}

TEST(LineDecoder, ShellNoiseOnlyInTimestampedConsoles) {
  std::vector<std::string> raws;
  for (int i = 0; i < 9; ++i) raws.push_back("[   1" + std::to_string(i) + ".000000] boot line");
  raws.push_back("root@syzkaller:~# ./repro");
  raws.push_back("$ cat /proc/cmdline");
  raws.push_back("Password: ");
  raws.push_back("[  OK  ] Started Journal Service.");
  raws.push_back(" ? netdev_pick_tx+0x27c/0x294");  // continuation text: still kernel
  raws.push_back("Call Trace:");
  auto lines = DecodeLines(raws);
  for (size_t i = 9; i < 13; ++i) {
    EXPECT_FALSE(lines[i].kernel) << lines[i].text;
    EXPECT_EQ(lines[i].format, LogFormat::kPlain);
  }
  EXPECT_TRUE(lines[13].kernel);
  EXPECT_EQ(lines[13].text, " ? netdev_pick_tx+0x27c/0x294");
  EXPECT_TRUE(lines[14].kernel);

  // The same lines in a log without (enough) timestamps are kernel text: be conservative.
  auto few = DecodeLines({"[    1.000000] one", "root@syzkaller:~# ./repro", "Password: "});
  EXPECT_TRUE(few[1].kernel);
  EXPECT_TRUE(few[2].kernel);
}

TEST(LineDecoder, PlainLogWithoutTimestamps) {
  auto lines = DecodeLines({
      "BUG: unable to handle page fault for address: ffffffffffffffe8",
      "#PF: supervisor read access in kernel mode",
      "RIP: 0010:netdev_pick_tx+0x27c/0x294",
      " <IRQ>",
      "  ? __die+0x20/0x70   ",
      "",
  });
  for (const OwnedLine& l : lines) {
    EXPECT_EQ(l.format, LogFormat::kPlain);
    EXPECT_TRUE(l.kernel);
    EXPECT_FALSE(l.timestamp);
  }
  EXPECT_EQ(lines[3].text, " <IRQ>");
  EXPECT_EQ(lines[4].text, "  ? __die+0x20/0x70");  // right-trimmed only
}

TEST(LineDecoder, InvalidUtf8PassesThrough) {
  std::string raw = "[    1.000000] bad \xff\xfe bytes \xc3";
  auto l = DecodeOne(raw);
  EXPECT_EQ(l.format, LogFormat::kDmesg);
  EXPECT_EQ(l.text, "bad \xff\xfe bytes \xc3");
  auto plain = DecodeOne("\xc0\xaf\xed\xa0\x80 overlong and surrogate");
  EXPECT_EQ(plain.text, "\xc0\xaf\xed\xa0\x80 overlong and surrogate");
}

TEST(LineDecoder, NumbersAreKept) {
  LineDecoder d;
  EXPECT_EQ(d.Decode("[    1.000000] a", 41).number, 41u);
  EXPECT_EQ(d.Decode("plain", 42).number, 42u);
  EXPECT_EQ(d.Decode("{\"MESSAGE\":\"x\"}", 43).number, 43u);
}

// Invariants that hold for any input: the decoder only removes bytes, levels are printk
// levels, and nothing reads outside the line (ASan checks that part in the sanitizer build).
void CheckInvariants(LineDecoder& d, std::string_view raw) {
  LogLine l = d.Decode(raw, 7);
  ASSERT_LE(l.text.size(), raw.size()) << raw;
  ASSERT_GE(l.level, -1);
  ASSERT_LE(l.level, 7);
  ASSERT_EQ(l.number, 7u);
  if (l.timestamp) {
    ASSERT_GE(*l.timestamp, 0.0);
  }
}

TEST(LineDecoder, EveryPrefixOfEveryShapeIsSafe) {
  const std::vector<std::string> shapes = {
      "[   12.345678][ T3615] traps: x",
      "<4>[   12.345678] WARNING: x",
      "<4>1 2026-11-22T10:00:00.000Z myhost kernel - - [a b=\"\\]\"] text",
      "[Sat Nov 22 10:00:00 2026] text",
      "kern  :warn  : [   12.345678] text",
      "4,1300,12345678,-,caller=T123;text",
      "Nov 22 10:00:00.123456 host kernel: [    1.234567][  C1] text",
      "2026-11-22T10:00:00.123456+00:00 host sshd[1]: text",
      "[   12.345678] myhost kernel: text",
      R"({"_TRANSPORT":"kernel","MESSAGE":[1,2,255],"PRIORITY":"4"})",
      "syzkaller login: [   16.305150] INFO: x",
      "\x1b]0;t\x07\x1b[1;31m[ 1.0] \b\bx\r",
      "-- Boot 0f1e --",
  };
  LineDecoder d;
  for (const std::string& s : shapes) {
    for (size_t n = 0; n <= s.size(); ++n) {
      CheckInvariants(d, std::string_view(s).substr(0, n));
      CheckInvariants(d, std::string_view(s).substr(n));
    }
  }
}

TEST(LineDecoder, RandomBytesAreSafe) {
  // Bytes biased towards the characters the parsers branch on.
  const std::string alphabet = "[]<>{}:;,.-+ 0123456789TCZkernl\"\\\x1b\b\r\t\x07\xff\xc3";
  std::mt19937 rng(12345);
  LineDecoder d;
  std::string raw;
  for (int i = 0; i < 100000; ++i) {
    raw.clear();
    size_t len = rng() % 80;
    for (size_t k = 0; k < len; ++k)
      raw.push_back(rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()]);
    CheckInvariants(d, raw);
  }
  // Deep JSON nesting must not exhaust the stack.
  CheckInvariants(d, std::string(100000, '[') );
  CheckInvariants(d, "{\"a\":" + std::string(100000, '['));
}

TEST(LineDecoder, FormatNamesAreDistinct) {
  std::set<std::string> names;
  for (int f = 0; f <= static_cast<int>(LogFormat::kJournalJson); ++f)
    names.insert(LogFormatName(static_cast<LogFormat>(f)));
  EXPECT_EQ(names.size(), static_cast<size_t>(LogFormat::kJournalJson) + 1);
  EXPECT_STREQ(LogFormatName(LogFormat::kDmesg), "dmesg");
}

}  // namespace
}  // namespace ktriage
