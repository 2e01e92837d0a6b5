// RunHelper: posix_spawn with the caller's descriptors mapped to 3, 4, ..., a CLOEXEC pipe for
// stdout, poll with a deadline, and the exit status.
#include "base/helper_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/scoped_fd.h"

extern char** environ;

namespace ktriage {
namespace {

constexpr int kFirstGivenFd = 3;

class SpawnActions {
 public:
  SpawnActions() { ok_ = ::posix_spawn_file_actions_init(&actions_) == 0; }
  ~SpawnActions() {
    if (ok_) ::posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  bool ok() const { return ok_; }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
  bool ok_ = false;
};

void Reap(pid_t pid, int* status) {
  while (::waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

// After its stdout closed the helper is normally a moment from exiting; one that lingers past the
// deadline is killed like one that hangs before.
bool ReapBefore(pid_t pid, int* status, std::chrono::steady_clock::time_point deadline) {
  for (auto pause = std::chrono::microseconds(20);; pause = std::min(pause * 2, std::chrono::microseconds(20'000))) {
    const pid_t got = ::waitpid(pid, status, WNOHANG);
    if (got == pid) return true;
    if (got < 0 && errno != EINTR) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::usleep(static_cast<useconds_t>(pause.count()));
  }
}

}  // namespace

Result<HelperOutcome> RunHelper(const HelperCommand& command) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Error{std::string("pipe2: ") + std::strerror(errno)};
  ScopedFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  // Every descriptor the helper gets is first moved above the target range, so that mapping one to
  // 3 never overwrites another that is still to be mapped (a caller's fd may itself be 3 or 4).
  // dup2 clears FD_CLOEXEC on the target; everything else of ours stays closed in the helper.
  SpawnActions actions;
  if (!actions.ok()) return Error{"posix_spawn_file_actions_init failed"};
  std::vector<ScopedFd> high;
  const int base = kFirstGivenFd + static_cast<int>(command.fds.size()) + 1;
  for (int fd : command.fds) {
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, base);
    if (copy < 0) return Error{std::string("fcntl(F_DUPFD_CLOEXEC): ") + std::strerror(errno)};
    high.emplace_back(copy);
  }
  if (::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0) != 0 ||
      ::posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 1) != 0) {
    return Error{"posix_spawn_file_actions failed"};
  }
  for (size_t i = 0; i < high.size(); ++i) {
    if (::posix_spawn_file_actions_adddup2(actions.get(), high[i].get(), kFirstGivenFd + static_cast<int>(i)) != 0)
      return Error{"posix_spawn_file_actions_adddup2 failed"};
  }
  // Nothing else of ours reaches the helper, not even descriptors some thread opened without
  // O_CLOEXEC (std::ofstream does): a pipe's write end held by a helper would delay its EOF.
  if (::posix_spawn_file_actions_addclosefrom_np(actions.get(), kFirstGivenFd + static_cast<int>(high.size())) != 0)
    return Error{"posix_spawn_file_actions_addclosefrom_np failed"};

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(command.program.c_str()));
  for (const std::string& a : command.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int err = ::posix_spawn(&pid, command.program.c_str(), actions.get(), nullptr, argv.data(), environ);
      err != 0) {
    return Error{"cannot start " + command.program + ": " + std::strerror(err)};
  }
  write_end.Reset();
  high.clear();

  HelperOutcome outcome;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + command.timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{read_end.get(), POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&pfd, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {  // a hang (a deadlock in the helper, say) must not hang the whole run
      ::kill(pid, SIGKILL);
      int ignored = 0;
      Reap(pid, &ignored);
      outcome.end = HelperOutcome::End::kTimedOut;
      return outcome;
    }
    const ssize_t got = ::read(read_end.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    outcome.output.append(buf, static_cast<size_t>(got));
  }
  int status = 0;
  if (!ReapBefore(pid, &status, deadline)) {
    ::kill(pid, SIGKILL);
    Reap(pid, &status);
    outcome.end = HelperOutcome::End::kTimedOut;
    return outcome;
  }
  if (WIFSIGNALED(status)) {
    outcome.end = HelperOutcome::End::kSignaled;
    outcome.signal = WTERMSIG(status);
  } else {
    outcome.end = HelperOutcome::End::kExited;
    outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return outcome;
}

}  // namespace ktriage
