// InputSource: the bytes of one input, decompressed (gzip, xz, zstd, bzip2 or none), read as a stream.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ktriage {

class InputSource {
 public:
  virtual ~InputSource() = default;
  // Reads up to `size` bytes; 0 means end of input. Errors name the input and the reason.
  virtual Result<size_t> Read(char* buffer, size_t size) = 0;
  // Name shown in messages (the path, or "<stdin>", or "<memory>").
  virtual const std::string& name() const = 0;
  // Compression detected on open ("none", "gzip", "xz", "zstd", "bzip2", ...).
  virtual std::string_view compression() const = 0;
  // Bytes taken from the underlying file or stream so far (compressed bytes, for a compressed
  // input): the denominator of a running expansion ratio. 0 when unknown.
  virtual uint64_t consumed() const { return 0; }
};

// Opens a file ("-" is standard input) and detects compression by content, not by name.
Result<std::unique_ptr<InputSource>> OpenInputFile(const std::string& path);

// A source over bytes already in memory (tests, fuzzing, dump-extracted logs). `data` must outlive it.
std::unique_ptr<InputSource> MemoryInput(std::string_view data, std::string name = "<memory>");

}  // namespace ktriage
