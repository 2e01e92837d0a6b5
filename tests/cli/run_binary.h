// Runs the real `ktriage` binary as a child process, with its own environment, stdin and terminal.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ktriage::testing {

struct RunSpec {
  std::vector<std::string> args;  // after the program name
  // Variables to set (a value) or remove (nullopt) on top of this process's environment.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::string stdin_path = "/dev/null";
  bool stdout_tty = false;  // stdout is a pseudo-terminal (what --color=auto looks at)
};

struct RunOutcome {
  int exit_code = -1;  // -1 when the child did not exit normally (a crash)
  std::string out;
  std::string err;
};

// `scratch_dir` holds the captured stdout/stderr files.
RunOutcome RunBinary(const std::string& binary, const RunSpec& spec, const std::string& scratch_dir);

#ifdef KTRIAGE_BINARY
// The ktriage under test with `args`, hermetic: a DEBUGINFOD_URLS from the environment would send
// it to the network.
inline RunOutcome RunKtriageOffline(std::vector<std::string> args, const std::string& scratch_dir) {
  RunSpec spec;
  spec.args = std::move(args);
  spec.env.push_back({"DEBUGINFOD_URLS", std::nullopt});
  return RunBinary(KTRIAGE_BINARY, spec, scratch_dir);
}
#endif

}  // namespace ktriage::testing
