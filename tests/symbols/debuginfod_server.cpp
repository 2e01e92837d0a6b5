// The test debuginfod server: fork/exec of the real binary, a free port, readiness by HTTP polling.
#include "tests/symbols/debuginfod_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace ktriage::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Closes the descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// A port nobody listens on right now (the kernel's pick for port 0). Another process may take it
// before debuginfod binds it: Start() then retries with a new one.
Result<uint16_t> FreePort() {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return Error{Errno("socket")};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);  // debuginfod binds every address
  addr.sin_port = 0;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Error{Errno("bind")};
  socklen_t len = sizeof addr;
  if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Error{Errno("getsockname")};
  }
  return static_cast<uint16_t>(ntohs(addr.sin_port));
}

Result<fs::path> FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return Error{name + " is not installed (package debuginfod; scripts/install-deps.sh)"};
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; pos > 0 && n <= lines; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

// The environment minus DEBUGINFOD_URLS: the server must never forward misses upstream (Debian's
// libdebuginfod-common points shells at debuginfod.debian.net).
std::vector<std::string> ServerEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    if (entry.rfind("DEBUGINFOD_URLS=", 0) != 0) env.push_back(entry);
  }
  return env;
}

// Links (or copies) each file to dir/<i>/<name>: distinct names even for two files called veth.ko.
Status StageFiles(const std::vector<BuildIdFile>& files, const fs::path& dir) {
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    fs::path sub = dir / std::to_string(i);
    fs::create_directories(sub, ec);
    if (ec) return Error{"mkdir " + sub.string() + ": " + ec.message()};
    fs::path target = sub / files[i].path.filename();
    fs::create_hard_link(files[i].path, target, ec);
    if (ec) {
      ec.clear();
      fs::copy_file(files[i].path, target, ec);
      if (ec) return Error{"copy " + files[i].path.string() + ": " + ec.message()};
    }
  }
  return Ok{};
}

}  // namespace

Result<HttpResponse> HttpGet(uint16_t port, const std::string& path, std::chrono::milliseconds timeout,
                             bool head_only) {
  const std::string where = "http://127.0.0.1:" + std::to_string(port) + path;
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return Error{Errno("socket")};
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error{Errno("GET " + where + ": connect")};
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUser-Agent: ktriage-tests\r\nConnection: close\r\n\r\n";
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(s.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error{Errno("GET " + where + ": send")};
    sent += static_cast<size_t>(n);
  }
  std::string data;
  size_t head_end = std::string::npos;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{Errno("GET " + where + ": recv")};
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos) head_end = data.find("\r\n\r\n");
    if (head_only && head_end != std::string::npos) break;
  }
  if (head_end == std::string::npos) return Error{"GET " + where + ": no complete HTTP response"};
  HttpResponse r;
  const size_t status_end = data.find("\r\n");
  const std::string status_line = data.substr(0, status_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    return Error{"GET " + where + ": bad status line '" + status_line + "'"};
  }
  r.status = std::atoi(status_line.c_str() + 9);
  r.headers = data.substr(status_end + 2, head_end - status_end - 2);
  if (head_only) return r;
  r.body = data.substr(head_end + 4);
  // Header names are case-insensitive; libmicrohttpd writes "Content-Length".
  std::string lower = r.headers;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (size_t cl = lower.find("content-length:"); cl != std::string::npos) {
    const unsigned long long want = std::strtoull(lower.c_str() + cl + 15, nullptr, 10);
    if (r.body.size() != want) {
      return Error{"GET " + where + ": body has " + std::to_string(r.body.size()) + " bytes, Content-Length says " +
                   std::to_string(want)};
    }
  }
  return r;
}

Result<std::unique_ptr<DebuginfodServer>> DebuginfodServer::Start(const std::vector<BuildIdFile>& files,
                                                                   std::chrono::milliseconds timeout) {
  auto binary = FindInPath("debuginfod");
  if (!binary) return binary.error();
  // The destructor cleans up whatever was made when a step below fails.
  std::unique_ptr<DebuginfodServer> server(new DebuginfodServer());
  std::string tmpl = (fs::temp_directory_path() / "ktriage-debuginfod-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return Error{Errno("mkdtemp " + tmpl)};
  server->dir_ = tmpl;
  if (auto st = StageFiles(files, server->dir_ / "files"); !st) return st.error();

  std::vector<std::string> env_storage = ServerEnvironment();
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string log_path = (server->dir_ / "debuginfod.log").string();

  constexpr int kAttempts = 5;  // a lost race for the port costs one attempt
  std::string last_failure;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    auto port = FreePort();
    if (!port) return port.error();
    server->port_ = *port;
    // -t 0: one scan, no rescans; -g 0: no grooming; -v: one log line per request.
    std::vector<std::string> args = {binary->string(), "-F", "-p", std::to_string(*port),
                                     "-d", (server->dir_ / "db.sqlite").string(),
                                     "-t", "0", "-g", "0", "-v", (server->dir_ / "files").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    const auto t0 = Clock::now();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return Error{Errno("fork")};
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int in = ::open("/dev/null", O_RDONLY);
      int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || log < 0) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(log, 1);
      ::dup2(log, 2);
      if (in > 2) ::close(in);
      if (log > 2) ::close(log);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    server->pid_ = pid;

    // Ready when /metrics answers (the server is up) and then every build-id is served (indexed).
    std::set<std::string> pending;
    for (const auto& f : files) pending.insert(f.build_id);
    bool listening = false;
    bool exited = false;
    for (;;) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        server->pid_ = -1;
        exited = true;
        last_failure = "debuginfod exited (" +
                       (WIFEXITED(status) ? "status " + std::to_string(WEXITSTATUS(status))
                                          : "signal " + std::to_string(WTERMSIG(status))) +
                       ") on port " + std::to_string(*port) + "; its log:\n" + Tail(server->log(), 20);
        break;
      }
      if (!listening) {
        auto r = HttpGet(*port, "/metrics", std::chrono::seconds(2), /*head_only=*/true);
        listening = r && r->status == 200;
      }
      for (auto it = pending.begin(); listening && it != pending.end();) {
        auto r = HttpGet(*port, "/buildid/" + *it + "/debuginfo", std::chrono::seconds(2), /*head_only=*/true);
        it = (r && r->status == 200) ? pending.erase(it) : std::next(it);
      }
      if (listening && pending.empty()) break;
      if (Clock::now() - t0 > timeout) {
        std::string ids = listening ? "" : " /metrics";
        for (const auto& id : pending) ids += " " + id;
        return Error{"debuginfod on port " + std::to_string(*port) + " did not serve" + ids + " within " +
                     std::to_string(timeout.count()) + " ms; its log:\n" + Tail(server->log(), 20)};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exited) {
      server->startup_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
      return server;
    }
  }
  return Error{"debuginfod did not start in " + std::to_string(kAttempts) + " attempts: " + last_failure};
}

DebuginfodServer::~DebuginfodServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

// SIGKILL at once: the database goes with the directory, and a SIGTERM costs a second (debuginfod's
// threads look at their stop flag once a second).
void DebuginfodServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string DebuginfodServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string DebuginfodServer::log() const { return dir_.empty() ? std::string() : ReadFile(dir_ / "debuginfod.log"); }

}  // namespace ktriage::testing
