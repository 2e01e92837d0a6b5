// CreateUnlinkedTempFile and WriteAll.
#include "base/temp_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ktriage {

Result<ScopedFd> CreateUnlinkedTempFile(const std::string& dir_in, const std::string& what) {
  const std::string dir = dir_in.empty() ? std::string("/tmp") : dir_in;
  ScopedFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    std::string name = dir + "/ktriage-triage-XXXXXX";
    fd.Reset(::mkostemp(name.data(), O_CLOEXEC));
    if (!fd.valid()) {
      const int err = errno;
      return Error{"cannot create a temp file in " + dir + " for " + what + ": " + std::strerror(err) +
                   " (set TMPDIR to a writable directory)"};
    }
    ::unlink(name.c_str());
  }
  return fd;
}

Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t put = ::write(fd, data, size);
    if (put < 0) {
      if (errno == EINTR) continue;
      return Error{std::string("write to a temp file: ") + std::strerror(errno) +
                   (errno == ENOSPC ? " (set TMPDIR to a file system with more room)" : "")};
    }
    data += put;
    size -= static_cast<size_t>(put);
  }
  return Ok{};
}

}  // namespace ktriage
