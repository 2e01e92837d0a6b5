// RunInChild: runs a piece of work in a forked child process and brings its result back through a
// pipe, so that a crash or a hang inside a library (libkdumpfile on a corrupt dump) becomes an
// error value in the caller instead of the end of the whole run.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/result.h"

namespace ktriage {

// `work` runs in the child; what it returns (bytes, or an error whose message is passed on) is
// the result here. A child killed by a signal, or still running after `timeout` (then killed),
// gives an error beginning with `label`. The child leaves with _exit: no destructors, no atexit
// handlers, no flushing of buffers it inherited. When no child can be made (no pipe, no fork), the
// work runs here instead: unprotected, but not refused.
Result<std::string> RunInChild(const std::function<Result<std::string>()>& work, const std::string& label,
                               std::chrono::milliseconds timeout);

}  // namespace ktriage
