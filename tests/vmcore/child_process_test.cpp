// RunInChild: results and errors come back whole, and a crash or a hang of the child becomes an
// error naming the label instead of ending the test process.
#include "analyzer/vmcore/child_process.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

namespace ktriage {
namespace {

using namespace std::chrono_literals;

TEST(RunInChildTest, BringsBackALargeResultWhole) {
  // Larger than a pipe's buffer: the parent must read while the child writes.
  std::string expected(3 << 20, '\0');
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<char>(i * 131 % 251);
  Result<std::string> got = RunInChild([&]() -> Result<std::string> { return expected; }, "big", 60s);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, expected);
}

TEST(RunInChildTest, RunsInAnotherProcess) {
  const pid_t parent = ::getpid();
  Result<std::string> got = RunInChild([]() -> Result<std::string> { return std::to_string(::getpid()); }, "pid", 60s);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_NE(*got, std::to_string(parent));
}

TEST(RunInChildTest, PassesTheChildsErrorOn) {
  Result<std::string> got =
      RunInChild([]() -> Result<std::string> { return Error{"dump.x: no VMCOREINFO in the dump"}; }, "dump.x", 60s);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message, "dump.x: no VMCOREINFO in the dump");
}

TEST(RunInChildTest, AnEmptyResultIsAResult) {
  Result<std::string> got = RunInChild([]() -> Result<std::string> { return std::string(); }, "empty", 60s);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_TRUE(got->empty());
}

TEST(RunInChildTest, ACrashIsAnErrorNamingTheLabel) {
  Result<std::string> got = RunInChild(
      []() -> Result<std::string> {
        ::raise(SIGSEGV);
        return std::string("not reached");
      },
      "/dumps/broken.vmcore", 60s);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("/dumps/broken.vmcore"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("crashed"), std::string::npos) << got.error().message;
}

TEST(RunInChildTest, AHangIsKilledAtTheDeadline) {
  const auto start = std::chrono::steady_clock::now();
  Result<std::string> got = RunInChild(
      []() -> Result<std::string> {
        for (;;) ::pause();
      },
      "/dumps/hangs.vmcore", 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("/dumps/hangs.vmcore"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("did not finish"), std::string::npos) << got.error().message;
  EXPECT_LT(took, 30s);
}

TEST(RunInChildTest, AnUnexpectedExitStatusIsAnError) {
  Result<std::string> got = RunInChild(
      []() -> Result<std::string> {
        ::_exit(7);
      },
      "/dumps/exits.vmcore", 60s);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("exit status 7"), std::string::npos) << got.error().message;
}

}  // namespace
}  // namespace ktriage
