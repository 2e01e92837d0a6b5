// What every subcommand gets from the process: its streams and the facts about its terminal.
#pragma once

#include <ostream>
#include <string>

#include "analyzer/pipeline/dump_analyses.h"
#include "analyzer/pipeline/dump_session.h"

namespace ktriage::cli {

// Exit codes shared by every command (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInputError = 1;  // some input could not be read; the others were analysed
inline constexpr int kExitUsage = 2;       // bad command line; nothing was done

// Gathered once in main() so that commands never read the environment themselves and tests can
// run them with any terminal and NO_COLOR setting.
struct CliContext {
  CliContext(std::ostream& out_stream, std::ostream& err_stream) : out(out_stream), err(err_stream) {}

  std::ostream& out;
  std::ostream& err;
  bool stdout_is_tty = false;
  bool no_color = false;  // NO_COLOR is set to a non-empty value (no-color.org)
  bool stderr_is_tty = false;  // progress lines are drawn only for a person watching
  std::string debuginfod_urls;  // DEBUGINFOD_URLS: when not empty, symbolization may ask those servers
  // ${XDG_CACHE_HOME:-$HOME/.cache}/ktriage, or "" when neither is set: what is worth keeping
  // between runs (the type index of each kernel build).
  std::string cache_dir;
  // ${XDG_DATA_HOME:-$HOME/.local/share}, or "" when neither is set: where the history lives.
  std::string data_dir;
  std::string temp_dir = "/tmp";  // $TMPDIR: dumps copied out of archives, flattened dumps rebuilt
  std::string dump_reader = kBuiltDumpReader;  // ktriage-dump-reader beside the binary
};

// How the commands open dumps, from what main found.
inline pipeline::DumpSessionOptions DumpSessionOptionsOf(const CliContext& context) {
  pipeline::DumpSessionOptions o;
  o.reader = context.dump_reader;
  o.temp_dir = context.temp_dir;
  o.types_cache_dir = pipeline::TypesCacheDir(context.cache_dir);
  return o;
}

}  // namespace ktriage::cli
