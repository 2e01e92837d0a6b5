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

}  // namespace ktriage::testing
