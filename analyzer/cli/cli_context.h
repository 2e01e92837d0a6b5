// What every subcommand gets from the process: its streams and the facts about its terminal.
#pragma once

#include <ostream>
#include <string>

namespace ktriage::cli {

// Exit codes shared by every command (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInputError = 1;  // some input could not be read; the others were analysed
inline constexpr int kExitUsage = 2;       // bad command line; nothing was done

// Gathered once in main() so that commands never read the environment themselves and tests can
// run them with any terminal and NO_COLOR setting.
struct CliContext {
  std::ostream& out;
  std::ostream& err;
  bool stdout_is_tty = false;
  bool no_color = false;  // NO_COLOR is set to a non-empty value (no-color.org)
  bool debuginfod = false;  // DEBUGINFOD_URLS is set and not empty: symbolization may ask those servers
  // ${XDG_CACHE_HOME:-$HOME/.cache}/ktriage, or "" when neither is set: what is worth keeping
  // between runs (the type index of each kernel build).
  std::string cache_dir;
};

}  // namespace ktriage::cli
