// HashFileContents with xxHash's XXH3 (header-only: libxxhash-dev).
#include "base/content_hash.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace ktriage {

Result<std::string> HashFileContents(int fd, const std::string& name, const std::atomic<bool>* cancel) {
  struct StateFree {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
  };
  std::unique_ptr<XXH3_state_t, StateFree> state(XXH3_createState());
  if (!state || XXH3_128bits_reset(state.get()) != XXH_OK) return Error{name + ": out of memory hashing"};
  constexpr size_t kChunk = 1 << 20;
  std::unique_ptr<char[]> buffer(new char[kChunk]);
  off_t offset = 0;
  for (;;) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return Error{name + ": interrupted"};
    const ssize_t got = ::pread(fd, buffer.get(), kChunk, offset);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error{name + ": " + std::strerror(errno)};
    }
    if (got == 0) break;
    XXH3_128bits_update(state.get(), buffer.get(), static_cast<size_t>(got));
    offset += got;
  }
  const XXH128_hash_t h = XXH3_128bits_digest(state.get());
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return std::string("xxh3-128:") + hex;
}

}  // namespace ktriage
