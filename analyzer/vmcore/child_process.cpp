// RunInChild: fork, a pipe for the result, poll with a deadline, and the child's exit status
// turned into the error a user can act on.
#include "analyzer/vmcore/child_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "analyzer/vmcore/scoped_fd.h"

namespace ktriage {
namespace {

// The child's exit status: the payload is the result, or the message of an error.
constexpr int kChildOk = 0;
constexpr int kChildError = 3;

void WriteAll(int fd, const std::string& bytes) {
  for (size_t off = 0; off < bytes.size();) {
    const ssize_t put = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return;  // the parent is gone or gave up: nobody to tell
    off += static_cast<size_t>(put);
  }
}

}  // namespace

Result<std::string> RunInChild(const std::function<Result<std::string>()>& work, const std::string& label,
                               std::chrono::milliseconds timeout) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return work();
  ScopedFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return work();
  if (pid == 0) {
    read_end.Reset();
    // Die of the signal itself, whatever handlers the process installed (sanitizers report and
    // exit with status 1; a crash reporter might do anything).
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, SIG_DFL);
    Result<std::string> result = work();
    WriteAll(write_end.get(), result.ok() ? *result : result.error().message);
    ::_exit(result.ok() ? kChildOk : kChildError);
  }
  write_end.Reset();
  std::string payload;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{read_end.get(), POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&pfd, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {  // a hang (a deadlock in the child, say) must not hang the whole run
      ::kill(pid, SIGKILL);
      int ignored = 0;
      while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
      }
      return Error{label + ": libkdumpfile did not finish reading this dump in " +
                   std::to_string(timeout.count() / 1000) + " s"};
    }
    const ssize_t got = ::read(read_end.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    payload.append(buf, static_cast<size_t>(got));
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return Error{label + ": lost the child process reading this dump: " + std::strerror(errno)};
  }
  if (WIFSIGNALED(wstatus))
    return Error{label + ": libkdumpfile crashed reading this dump (" + std::string(strsignal(WTERMSIG(wstatus))) +
                 "): the file is corrupt"};
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == kChildOk) return payload;
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == kChildError) return Error{payload};
  if (payload.size() > 4096) payload.resize(4096);
  return Error{label + ": reading this dump failed in a child process (exit status " +
               std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1) + ")" +
               (payload.empty() ? "" : ": " + payload)};
}

}  // namespace ktriage
