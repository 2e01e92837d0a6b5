// The ktriage binary: the one place that reads the environment and the terminal; everything it
// found is handed to the commands in a CliContext.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "analyzer/cli/commands.h"

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// ${XDG_<KIND>_HOME:-$HOME/<fallback>}: an absolute XDG value wins; "" when neither is usable.
std::string XdgDir(const char* xdg, const char* fallback) {
  if (const std::string v = Env(xdg); !v.empty() && v[0] == '/') return v;
  const std::string home = Env("HOME");
  return home.empty() ? "" : home + "/" + fallback;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // output can be gigabytes of JSON; stdio sync only slows it
  ktriage::cli::CliContext context(std::cout, std::cerr);
  context.stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  context.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  context.no_color = !Env("NO_COLOR").empty();
  context.debuginfod_urls = Env("DEBUGINFOD_URLS");
  if (const std::string cache = XdgDir("XDG_CACHE_HOME", ".cache"); !cache.empty()) context.cache_dir = cache + "/ktriage";
  context.data_dir = XdgDir("XDG_DATA_HOME", ".local/share");
  if (const std::string tmp = Env("TMPDIR"); !tmp.empty()) context.temp_dir = tmp;
  // The dump reader installed beside this binary, else the one of this build.
  std::error_code ec;
  const auto beside = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "ktriage-dump-reader";
  if (!ec && std::filesystem::exists(beside, ec)) context.dump_reader = beside.string();
  return ktriage::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc), context);
}
