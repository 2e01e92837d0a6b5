// The ktriage binary: gathers the process context and hands the command line to the dispatcher.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "analyzer/cli/commands.h"

int main(int argc, char** argv) {
  // Output can be gigabytes of JSON; C stdio synchronisation would only slow it down.
  std::ios::sync_with_stdio(false);
  const char* no_color = std::getenv("NO_COLOR");
  const char* debuginfod_urls = std::getenv("DEBUGINFOD_URLS");
  std::string cache_dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
    cache_dir = std::string(xdg) + "/ktriage";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    cache_dir = std::string(home) + "/.cache/ktriage";
  }
  ktriage::cli::CliContext context{std::cout, std::cerr, isatty(STDOUT_FILENO) == 1,
                                   no_color != nullptr && no_color[0] != '\0',
                                   debuginfod_urls != nullptr && debuginfod_urls[0] != '\0', cache_dir};
  return ktriage::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc), context);
}
