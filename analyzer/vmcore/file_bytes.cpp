// PreadFull.
#include "analyzer/vmcore/file_bytes.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace ktriage {

Result<size_t> PreadFull(int fd, void* buffer, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, static_cast<char*>(buffer) + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return Error{std::string("pread: ") + std::strerror(err)};
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

}  // namespace ktriage
