// RegionReader: windowed, bounds-checked reads of one region of dump memory.
#include "analyzer/vmcore/region_reader.h"
#include "base/text.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace ktriage {

RegionReader::RegionReader(MemoryReader& memory, uint64_t base, uint64_t size, size_t window)
    : memory_(memory), base_(base), size_(size), window_(std::max<size_t>(window, 64)) {}

Status RegionReader::LoadWindow(uint64_t start, uint64_t length) {
  buffer_.resize(static_cast<size_t>(length));
  buffer_valid_ = false;
  Status status = memory_.ReadVirtual(base_ + start, buffer_.data(), buffer_.size());
  if (!status.ok()) return status;
  buffer_start_ = start;
  buffer_valid_ = true;
  return Ok{};
}

Status RegionReader::Read(uint64_t offset, void* out, size_t n) {
  if (offset > size_ || n > size_ - offset) {
    return Error{"read of " + std::to_string(n) + " bytes at offset " + std::to_string(offset) +
                 " leaves the region of " + std::to_string(size_) + " bytes at " + HexString(base_)};
  }
  if (n > 0 && base_ + offset + (n - 1) < base_) {
    return Error{"region at " + HexString(base_) + " wraps around the address space"};
  }
  constexpr uint64_t kPage = 4096;
  auto* dest = static_cast<uint8_t*>(out);
  // Each turn copies from the cached window or loads one; every turn either copies bytes or loads
  // a window that holds `offset`, so the loop ends.
  while (n > 0) {
    if (buffer_valid_ && offset >= buffer_start_ && offset - buffer_start_ < buffer_.size()) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n, buffer_start_ + buffer_.size() - offset));
      std::memcpy(dest, buffer_.data() + (offset - buffer_start_), take);
      dest += take;
      offset += take;
      n -= take;
      continue;
    }
    if (offset >= unreadable_offset_ && offset < unreadable_page_end_) return Error{unreadable_error_};
    const uint64_t start = offset - offset % window_;
    if (!(failed_valid_ && failed_start_ == start)) {
      if (LoadWindow(start, std::min<uint64_t>(window_, size_ - start)).ok()) continue;
      // Remember the failure: retrying a large read for every record would be slow.
      failed_start_ = start;
      failed_valid_ = true;
    }
    // The window reaches memory that is not in the dump (the end of a table, a filtered page):
    // fall back to the page holding `offset`, then to just the bytes asked for.
    const uint64_t into_page = (base_ + offset) % kPage;
    const uint64_t page_start = offset - std::min(offset, into_page);
    const uint64_t page_end = std::min(offset + (kPage - into_page), size_);
    if (LoadWindow(page_start, page_end - page_start).ok()) continue;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, page_end - offset));
    Status status = memory_.ReadVirtual(base_ + offset, dest, take);
    if (!status.ok()) {
      unreadable_offset_ = offset;
      unreadable_page_end_ = page_end;
      unreadable_error_ = status.error().message;
      return status;
    }
    dest += take;
    offset += take;
    n -= take;
  }
  return Ok{};
}

Result<uint64_t> RegionReader::U64(uint64_t offset) {
  std::array<uint8_t, 8> b{};
  Status status = Read(offset, b.data(), b.size());
  if (!status.ok()) return status.error();
  return LoadU64(b.data());
}

Result<uint32_t> RegionReader::U32(uint64_t offset) {
  std::array<uint8_t, 4> b{};
  Status status = Read(offset, b.data(), b.size());
  if (!status.ok()) return status.error();
  return LoadU32(b.data());
}

Result<uint16_t> RegionReader::U16(uint64_t offset) {
  std::array<uint8_t, 2> b{};
  Status status = Read(offset, b.data(), b.size());
  if (!status.ok()) return status.error();
  return LoadU16(b.data());
}

Result<uint8_t> RegionReader::U8(uint64_t offset) {
  uint8_t b = 0;
  Status status = Read(offset, &b, 1);
  if (!status.ok()) return status.error();
  return b;
}

}  // namespace ktriage
