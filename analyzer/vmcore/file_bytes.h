// Reads of a dump file's own structures (headers, notes, page descriptors) that ktriage parses
// besides libkdumpfile: integers of either byte order, and pread that retries until done.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/result.h"

namespace ktriage {

// The n-byte unsigned integer at p (n <= 8). Inline: bitmaps and descriptor tables call it per word.
inline uint64_t LoadUnsigned(const unsigned char* p, size_t n, bool little_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[little_endian ? i : n - 1 - i]} << (8 * i);
  return v;
}

// `size` bytes at `offset`, fewer only at the end of the file; an error names the failing call.
Result<size_t> PreadFull(int fd, void* buffer, size_t size, uint64_t offset);

}  // namespace ktriage
