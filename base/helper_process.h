// RunHelper: runs a helper program and brings back what it wrote on its standard output, so that
// a crash or a hang inside a library (libkdumpfile on a corrupt dump) ends that program and not
// ours. posix_spawn, never fork(): the caller may have many threads (triage's workers, analyze's
// rule loading), and a forked child of a multi-threaded process may only call async-signal-safe
// functions until it execs.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"

namespace ktriage {

struct HelperCommand {
  std::string program;             // the executable's path
  std::vector<std::string> args;   // argv[1...]
  // Descriptors the helper gets as 3, 4, ... (the files it is to read: opened once, by the caller).
  std::vector<int> fds;
  std::chrono::milliseconds timeout{300'000};
};

// How the helper ended. `output` is what it wrote on stdout (and stays readable for every end).
struct HelperOutcome {
  enum class End {
    kExited,    // exit_status holds its exit status
    kSignaled,  // killed by `signal` (a crash)
    kTimedOut,  // still running at the deadline: killed
  };
  End end = End::kExited;
  int exit_status = 0;
  int signal = 0;
  std::string output;
};

// An Error only when the helper could not be started (no such program, no pipe, no process).
Result<HelperOutcome> RunHelper(const HelperCommand& command);

}  // namespace ktriage
