// PageCache: whole-page reads kept in a small least-recently-used cache.
#include "analyzer/vmcore/page_cache.h"

#include <algorithm>
#include <cstring>

#include "base/text.h"

namespace ktriage {

PageCache::PageCache(MemoryReader& memory, size_t capacity)
    : memory_(&memory), capacity_(std::max<size_t>(capacity, 1)) {}

Status PageCache::ReadVirtual(uint64_t address, void* buffer, size_t size) {
  if (size == 0) return Ok{};
  if (address + (size - 1) < address) {
    return Error{"address " + HexString(address) + ": a read of " + std::to_string(size) + " bytes wraps around"};
  }
  auto* out = static_cast<uint8_t*>(buffer);
  while (size > 0) {
    const uint32_t into = static_cast<uint32_t>(address % kPageSize);
    const uint32_t take = static_cast<uint32_t>(std::min<uint64_t>(size, kPageSize - into));
    Result<const Page*> page = Load(address - into, into, take);
    if (!page.ok()) return page.error();
    std::memcpy(out, (*page)->bytes.data() + (into - (*page)->lo), take);
    out += take;
    address += take;  // may wrap to 0 after the last page, but then nothing is left to read
    size -= take;
  }
  return Ok{};
}

Result<const PageCache::Page*> PageCache::Load(uint64_t page, uint32_t into, uint32_t size) {
  Page& slot = Slot(page);
  slot.last_use = ++clock_;
  if (slot.lo <= into && into + size <= slot.hi) return &slot;
  auto fill = [&](uint32_t lo, uint32_t hi) -> Status {
    std::vector<uint8_t> bytes(hi - lo);
    Status status = memory_->ReadVirtual(page + lo, bytes.data(), bytes.size());
    if (!status.ok()) return status;
    slot.bytes = std::move(bytes);
    slot.lo = lo;
    slot.hi = hi;
    return Ok{};
  };
  if (!slot.whole_unreadable) {
    if (fill(0, kPageSize).ok()) return &slot;
    slot.whole_unreadable = true;
  }
  // Readers walk tables upwards, so the rest of the page is the likeliest to be asked for next.
  if (into + size < kPageSize && fill(into, kPageSize).ok()) return &slot;
  Status exact = fill(into, into + size);
  if (!exact.ok()) return exact.error();
  return &slot;
}

PageCache::Page& PageCache::Slot(uint64_t page) {
  if (auto it = pages_.find(page); it != pages_.end()) return it->second;
  if (pages_.size() >= capacity_) {
    auto oldest = std::min_element(pages_.begin(), pages_.end(),
                                   [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
    pages_.erase(oldest);
  }
  return pages_[page];
}

}  // namespace ktriage
