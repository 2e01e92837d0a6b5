// Member names, hosts from paths, which files are inputs, kdump pairs: the small rules of triage.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "analyzer/triage/host_from_path.h"
#include "analyzer/triage/input_kind.h"
#include "analyzer/ingest/member_name.h"

namespace ktriage::triage {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MemberName, EscapesWhatCouldMisleadAReader) {
  EXPECT_EQ(SafeMemberName("./var/log/kern.log"), "var/log/kern.log");
  EXPECT_EQ(SafeMemberName("a\nb"), "a\\x0ab");
  EXPECT_EQ(SafeMemberName("x!y"), "x\\x21y");
  EXPECT_EQ(SafeMemberName("back\\slash"), "back\\x5cslash");
  EXPECT_EQ(SafeMemberName("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(SafeMemberName("bad\xff"), "bad\\xff");
  EXPECT_EQ(SafeMemberName("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(JoinMember("a.tar", "b.tar.gz"), "a.tar!b.tar.gz");
}

TEST(MemberName, RefusesEscapingNames) {
  EXPECT_NE(UnsafeMemberReason("../evil"), "");
  EXPECT_NE(UnsafeMemberReason("a/../../evil"), "");
  EXPECT_NE(UnsafeMemberReason("/etc/passwd"), "");
  EXPECT_NE(UnsafeMemberReason("a\rb"), "");
  EXPECT_EQ(UnsafeMemberReason("var/log/kern.log"), "");
  EXPECT_EQ(UnsafeMemberReason("a..b/..c"), "");
}

TEST(HostFromPath, FleetLayouts) {
  EXPECT_EQ(HostFromPath("collect/hosts/web-7/var/log/kern.log"), "web-7");
  EXPECT_EQ(HostFromPath("x.tar!nodes/db1/dmesg"), "db1");
  EXPECT_EQ(HostFromPath("hosts/kern.log"), "");  // a file, not a host directory
  EXPECT_EQ(HostFromPath("sosreport-web1-01234567-2026-11-22-abcdef.tar.xz!var/log/messages"), "web1");
  EXPECT_EQ(HostFromPath("sosreport-db-2-2026-11-22-xyz/sos_commands/kernel/dmesg"), "db-2");
  EXPECT_EQ(HostFromPath("/var/crash/10.0.0.5-2026-11-22-10:00:00/vmcore"), "10.0.0.5");
  EXPECT_EQ(HostFromPath("/var/crash/202611221000/dump.202611221000"), "");
  EXPECT_EQ(HostFromPath("logs/kern.log"), "");
}

TEST(InputKind, Names) {
  for (const char* yes : {"dmesg", "dmesg.0", "kern.log", "kern.log.2.gz", "messages-20261122", "syslog.1",
                          "console-ttyS0.log", "vmcore-dmesg.txt", "journal-kernel.json", "a.tar!var/log/anything",
                          "sosreport-h/sos_commands/kernel/dmesg_-T"}) {
    EXPECT_TRUE(IsKernelLogName(yes)) << yes;
  }
  for (const char* no : {"notes.txt", "vmlinux", "console", "auth.json", "etc/hostname"}) {
    EXPECT_FALSE(IsKernelLogName(no)) << no;
  }
}

TEST(InputKind, ContentOfRealLogs) {
  const std::string log = Slurp(KTRIAGE_SOURCE_DIR "/corpora/console/debian-6.1-qemu/warn.log");
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(LooksLikeKernelLog(log));
  EXPECT_FALSE(LooksBinary(log));
  EXPECT_EQ(SniffContainer(log), ContainerKind::kNone);
  EXPECT_FALSE(LooksLikeKernelLog("just some notes\nand more\n"));
  EXPECT_TRUE(LooksLikeKernelLog("Nov 22 10:00:00 web1 kernel: [    1.000000] Linux version 6.1\n"));
  const std::string gz = Slurp(KTRIAGE_SOURCE_DIR "/corpora/samples/veth-softlockup.log.gz");
  EXPECT_EQ(SniffContainer(gz), ContainerKind::kCompressed);
  EXPECT_TRUE(LooksBinary(std::string("ab\0cd", 5)));
  EXPECT_TRUE(HasDumpMagic(std::string("KDUMP   ") + std::string(100, '\0')));
  EXPECT_FALSE(HasDumpMagic(log));
}

TEST(InputKind, KdumpParts) {
  KdumpPart dump = KdumpPartOf("a.tar!var/crash/2026/dump.2026");
  KdumpPart dmesg = KdumpPartOf("a.tar!var/crash/2026/dmesg.2026");
  EXPECT_EQ(dump.role, KdumpRole::kDump);
  EXPECT_EQ(dmesg.role, KdumpRole::kDmesg);
  EXPECT_EQ(dump.key, dmesg.key);
  EXPECT_EQ(KdumpPartOf("x/vmcore").key, KdumpPartOf("x/vmcore-dmesg.txt").key);
  EXPECT_NE(KdumpPartOf("x/vmcore").key, KdumpPartOf("y/vmcore-dmesg.txt").key);
  EXPECT_EQ(KdumpPartOf("x/kern.log").role, KdumpRole::kNone);
}

}  // namespace
}  // namespace ktriage::triage
