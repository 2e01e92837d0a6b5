// The test debuginfod server against Debian's real module debuginfo: it serves veth.ko by build-id
// byte for byte, answers 404 for unknown ids, and leaves no process behind.
#include "tests/symbols/debuginfod_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/symbols/debuginfo_cache.h"

namespace ktriage::testing {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// No child of this test process is left, reaped or not.
bool NoChildren() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

TEST(DebuginfodServer, ServesVethDebuginfoByBuildId) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  auto veth = DebuginfoModule(dir, "veth");
  auto vlan = DebuginfoModule(dir, "8021q");
  ASSERT_TRUE(veth && vlan) << dir << " lacks veth.ko or 8021q.ko";
  ASSERT_EQ(veth->build_id.size(), 40u) << veth->build_id;

  auto server = DebuginfodServer::Start({*veth, *vlan});
  ASSERT_TRUE(server.ok()) << server.error().message;
  std::cout << "debuginfod started and indexed 2 modules in " << (*server)->startup_time().count() << " ms at "
            << (*server)->url() << "\n";
  EXPECT_EQ((*server)->url(), "http://127.0.0.1:" + std::to_string((*server)->port()));

  auto r = (*server)->Get("/buildid/" + veth->build_id + "/debuginfo");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->status, 200) << r->headers;
  const std::string want = ReadAll(veth->path);
  ASSERT_EQ(r->body.size(), std::filesystem::file_size(veth->path));
  EXPECT_TRUE(r->body == want) << "debuginfod's veth.ko differs from " << veth->path;
  EXPECT_EQ(r->body.substr(0, 4), "\x7f" "ELF");

  // The other module is served too, under its own id.
  auto r2 = (*server)->Get("/buildid/" + vlan->build_id + "/debuginfo");
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(r2->body.size(), std::filesystem::file_size(vlan->path));
  // The server logged the request (it runs with -v): it is the real one answering.
  EXPECT_NE((*server)->log().find("GET /buildid/" + veth->build_id + "/debuginfo 200"), std::string::npos)
      << (*server)->log();
}

TEST(DebuginfodServer, UnknownBuildIdIsNotFound) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  auto veth = DebuginfoModule(dir, "veth");
  ASSERT_TRUE(veth);
  auto server = DebuginfodServer::Start({*veth});
  ASSERT_TRUE(server.ok()) << server.error().message;
  // vmlinux's id: real, but not among the served files (and never forwarded upstream).
  const std::string other = DebuginfoBuildIds(dir).front().build_id;
  ASSERT_NE(other, veth->build_id);
  auto r = (*server)->Get("/buildid/" + other + "/debuginfo");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 404);
}

TEST(DebuginfodServer, DestructorKillsTheServer) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  auto veth = DebuginfoModule(dir, "veth");
  ASSERT_TRUE(veth);
  pid_t pid = -1;
  uint16_t port = 0;
  {
    auto server = DebuginfodServer::Start({*veth});
    ASSERT_TRUE(server.ok()) << server.error().message;
    pid = (*server)->pid();
    port = (*server)->port();
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  EXPECT_TRUE(NoChildren()) << "debuginfod (pid " << pid << ") was not reaped";
  EXPECT_FALSE(HttpGet(port, "/metrics", std::chrono::seconds(1)).ok()) << "port " << port << " still answers";
}

TEST(DebuginfodServer, TimeoutIsAnErrorAndLeavesNoProcess) {
  KTRIAGE_REQUIRE_DEBUGINFO(dir);
  auto veth = DebuginfoModule(dir, "veth");
  ASSERT_TRUE(veth);
  BuildIdFile wrong = *veth;
  wrong.build_id = std::string(40, '0');  // never indexed
  auto server = DebuginfodServer::Start({wrong}, std::chrono::milliseconds(1500));
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().message.find(wrong.build_id), std::string::npos) << server.error().message;
  EXPECT_TRUE(NoChildren());
}

}  // namespace
}  // namespace ktriage::testing
