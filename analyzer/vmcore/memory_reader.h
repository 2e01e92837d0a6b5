// MemoryReader: reads the memory of the crashed kernel. Implemented by DumpFile (a real dump via
// libkdumpfile) and by in-memory fakes in tests and fuzzers, so that the readers of kernel data
// structures (printk ring buffer, kallsyms) never depend on a file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.h"

namespace ktriage {

class MemoryReader {
 public:
  virtual ~MemoryReader() = default;
  // Reads `size` bytes at kernel virtual address `address`. An error names the address and the
  // reason (not mapped, page filtered out of the dump, beyond the end of a truncated file...).
  virtual Status ReadVirtual(uint64_t address, void* buffer, size_t size) = 0;

  // Helpers for little-endian targets (x86-64, arm64, ppc64le): the only ones we read today.
  Result<uint64_t> ReadU64(uint64_t address);
  Result<uint32_t> ReadU32(uint64_t address);
  Result<uint16_t> ReadU16(uint64_t address);
  Result<uint8_t> ReadU8(uint64_t address);
  // Reads a NUL-terminated string of at most `max` bytes (no terminator found: the first `max`).
  Result<std::string> ReadCString(uint64_t address, size_t max);
};

}  // namespace ktriage
