// RegionReader: a bounded region of dump memory (a descriptor array, a ring buffer, a symbol table)
// read through a one-window cache, so walking it costs a few large ReadVirtual calls, not one per field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/vmcore/memory_reader.h"
#include "base/result.h"

namespace ktriage {


// Little-endian loads from bytes already read; the caller has checked the bounds.
inline uint64_t LoadU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint32_t LoadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
inline uint16_t LoadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

class RegionReader {
 public:
  // The default window (1 MiB) keeps memory bounded whatever size a corrupt dump claims, and is
  // large enough that a real printk ring (128 KiB to a few MiB) is read in one or a few calls.
  static constexpr size_t kDefaultWindow = size_t{1} << 20;

  RegionReader(MemoryReader& memory, uint64_t base, uint64_t size, size_t window = kDefaultWindow);

  // Copies [offset, offset + n) of the region. An error when the range leaves the region or the
  // memory cannot be read. When a whole window cannot be read (one page missing from the dump, a
  // table ending before the region's bound), falls back to the page, then to the bytes asked for,
  // so the rest of the region stays usable.
  Status Read(uint64_t offset, void* out, size_t n);

  Result<uint64_t> U64(uint64_t offset);
  Result<uint32_t> U32(uint64_t offset);
  Result<uint16_t> U16(uint64_t offset);
  Result<uint8_t> U8(uint64_t offset);

  // The end (region offset) of the known-unreadable bytes holding `offset`, or `offset` itself
  // when none are known: a caller walking a table skips the entries of a missing page at once.
  uint64_t UnreadableEnd(uint64_t offset) const {
    return offset >= unreadable_offset_ && offset < unreadable_page_end_ ? unreadable_page_end_ : offset;
  }

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }

 private:
  Status LoadWindow(uint64_t start, uint64_t length);

  MemoryReader& memory_;
  uint64_t base_;
  uint64_t size_;
  size_t window_;
  std::vector<uint8_t> buffer_;    // the cached window
  uint64_t buffer_start_ = 0;      // region offset of buffer_[0]
  bool buffer_valid_ = false;
  uint64_t failed_start_ = 0;      // the last window that could not be read as a whole
  bool failed_valid_ = false;
  // The last bytes that could not be read at all: the rest of their page is not asked for again
  // (a dump holds whole pages, so it is missing too), or a corrupt table claiming millions of
  // entries in missing memory would cost three failed reads per entry (found by fuzzing).
  uint64_t unreadable_offset_ = 0;
  uint64_t unreadable_page_end_ = 0;  // 0: none
  std::string unreadable_error_;
};

}  // namespace ktriage
