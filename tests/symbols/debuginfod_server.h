// A real `debuginfod` server for tests: serves given ELF files on 127.0.0.1 at a free port, from
// its own temporary directory and sqlite database, and is killed when the object goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "tests/symbols/debuginfo_cache.h"

namespace ktriage::testing {

struct HttpResponse {
  int status = 0;       // e.g. 200, 404
  std::string headers;  // the raw header block after the status line
  std::string body;     // empty when only the head was read
};

// A blocking HTTP/1.0 GET of `path` from 127.0.0.1:port. With head_only, the connection is
// closed after the headers (polling for a 588 MB vmlinux must not download it). A Content-Length
// the body falls short of is an error.
Result<HttpResponse> HttpGet(uint16_t port, const std::string& path,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10),
                             bool head_only = false);

class DebuginfodServer {
 public:
  // Starts `debuginfod -F` on hard links (copies across file systems) of `files` and returns once
  // every build-id is served (GET /buildid/<id>/debuginfo answers 200), or an error naming the
  // reason with the server's log when it exited, or was not ready within `timeout`. About 1 s for
  // modules; vmlinux (588 MB) adds about 2 s of indexing.
  static Result<std::unique_ptr<DebuginfodServer>> Start(
      const std::vector<BuildIdFile>& files,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Kills (SIGKILL) and reaps the server, and removes its temporary directory. The server also
  // gets SIGKILL when the test process dies first (PR_SET_PDEATHSIG), so none outlives a crash.
  ~DebuginfodServer();
  DebuginfodServer(const DebuginfodServer&) = delete;
  DebuginfodServer& operator=(const DebuginfodServer&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT", what DEBUGINFOD_URLS takes
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // From spawning the server to the last build-id being served.
  std::chrono::milliseconds startup_time() const { return startup_time_; }
  // GET url()+path (e.g. "/buildid/<id>/debuginfo").
  Result<HttpResponse> Get(const std::string& path) const { return HttpGet(port_, path); }
  // The server's stderr (it runs with -v: one line per request), for failure messages.
  std::string log() const;

 private:
  DebuginfodServer() = default;
  void Stop();

  std::filesystem::path dir_;  // files/, db.sqlite, debuginfod.log
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::chrono::milliseconds startup_time_{0};
};

}  // namespace ktriage::testing
