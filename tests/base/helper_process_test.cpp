// RunHelper: output comes back whole, the caller's descriptors reach the helper as 3, 4, ..., and
// a crash, a hang or an odd exit status is told apart, from a process with other threads running.
#include "base/helper_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "base/scoped_fd.h"

namespace ktriage {
namespace {

using namespace std::chrono_literals;

HelperCommand Shell(const std::string& script) {
  HelperCommand c;
  c.program = "/bin/sh";
  c.args = {"-c", script};
  c.timeout = 60s;
  return c;
}

TEST(RunHelperTest, BringsBackALargeOutputWhole) {
  Result<HelperOutcome> got = RunHelper(Shell("head -c 3145728 /dev/zero | tr '\\0' x"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->end, HelperOutcome::End::kExited);
  EXPECT_EQ(got->exit_status, 0);
  EXPECT_EQ(got->output, std::string(3 << 20, 'x'));
}

TEST(RunHelperTest, GivesTheDescriptorsAsThreeFourAndSoOn) {
  int a[2], b[2];
  ASSERT_EQ(::pipe2(a, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(b, O_CLOEXEC), 0);
  ScopedFd ar(a[0]), aw(a[1]), br(b[0]), bw(b[1]);
  ASSERT_EQ(::write(aw.get(), "first", 5), 5);
  ASSERT_EQ(::write(bw.get(), "second", 6), 6);
  aw.Reset();
  bw.Reset();
  // Given in the order b, a: the helper must see b's bytes on 3 and a's on 4.
  HelperCommand c = Shell("cat <&3; echo; cat <&4; ls /proc/self/fd | wc -l");
  c.fds = {br.get(), ar.get()};
  Result<HelperOutcome> got = RunHelper(c);
  ASSERT_TRUE(got.ok()) << got.error().message;
  // 0, 1, 2 (inherited stderr), 3, 4 and ls's own directory descriptor: nothing else leaked in.
  EXPECT_EQ(got->output, "second\nfirst6\n");
}

TEST(RunHelperTest, ACrashIsTold) {
  Result<HelperOutcome> got = RunHelper(Shell("echo partial; kill -SEGV $$"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->end, HelperOutcome::End::kSignaled);
  EXPECT_EQ(got->signal, SIGSEGV);
  EXPECT_EQ(got->output, "partial\n");
}

TEST(RunHelperTest, AHangIsKilledAtTheDeadline) {
  HelperCommand c = Shell("exec sleep 30");  // exec: no grandchild outlives the kill holding our stderr
  c.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  Result<HelperOutcome> got = RunHelper(c);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->end, HelperOutcome::End::kTimedOut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(RunHelperTest, AHelperThatClosesItsOutputAndLingersIsKilledToo) {
  HelperCommand c = Shell("exec >&-; exec sleep 30");
  c.timeout = 300ms;
  Result<HelperOutcome> got = RunHelper(c);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->end, HelperOutcome::End::kTimedOut);
}

TEST(RunHelperTest, TheExitStatusIsKept) {
  Result<HelperOutcome> got = RunHelper(Shell("printf 'why'; exit 3"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->end, HelperOutcome::End::kExited);
  EXPECT_EQ(got->exit_status, 3);
  EXPECT_EQ(got->output, "why");
}

TEST(RunHelperTest, AMissingProgramIsAnErrorNamingIt) {
  HelperCommand c;
  c.program = "/nonexistent/ktriage-dump-reader";
  Result<HelperOutcome> got = RunHelper(c);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("/nonexistent/ktriage-dump-reader"), std::string::npos) << got.error().message;
}

// The reason for posix_spawn: helpers started while other threads allocate and hold locks.
TEST(RunHelperTest, ManyThreadsStartHelpersAtOnce) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::vector<std::string> garbage(1000, std::string(100, 'g'));  // keep malloc busy
        Result<HelperOutcome> got = RunHelper(Shell("echo " + std::to_string(t * 100 + i)));
        if (got.ok() && got->output == std::to_string(t * 100 + i) + "\n") ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace ktriage
