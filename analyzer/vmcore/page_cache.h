// PageCache: a MemoryReader that keeps the last pages it read, for readers that jump around a
// large table (a binary search over kallsyms_offsets) and come back to the same few pages. On a
// compressed dump every page read from the file is an inflate, so a page asked for twice should
// cost once, and a field read should cost its page, not the whole table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "analyzer/vmcore/memory_reader.h"
#include "base/result.h"

namespace ktriage {

class PageCache final : public MemoryReader {
 public:
  // 4 KiB whatever the dump's page size: the unit a dump is compressed in on x86-64 and most
  // arm64 kernels; with larger dump pages a read is still a fraction of one.
  static constexpr uint64_t kPageSize = 4096;
  // 64 pages (256 KiB) hold a binary search's pages, a block of names and the token table with
  // room to spare; the least recently used page goes first.
  static constexpr size_t kDefaultCapacity = 64;

  // Reads through `memory`, which must outlive the cache.
  explicit PageCache(MemoryReader& memory, size_t capacity = kDefaultCapacity);

  // Copies from cached pages, reading each missing page whole. Where a whole page cannot be read
  // (a reader finer-grained than pages, a table ending in unmapped memory) it reads the rest of
  // the page from `address`, then just the bytes asked for, so whatever is readable stays so.
  Status ReadVirtual(uint64_t address, void* buffer, size_t size) override;

  size_t cached_pages() const { return pages_.size(); }

 private:
  // The readable part [lo, hi) of one page, as offsets into it.
  struct Page {
    std::vector<uint8_t> bytes;  // hi - lo bytes
    uint32_t lo = 0;
    uint32_t hi = 0;
    bool whole_unreadable = false;  // reading it whole failed once: do not try again
    uint64_t last_use = 0;
  };

  // Makes [into, into + size) of the page at `page` cached; `size` stays within the page.
  Result<const Page*> Load(uint64_t page, uint32_t into, uint32_t size);
  Page& Slot(uint64_t page);

  MemoryReader* memory_;
  size_t capacity_;
  std::unordered_map<uint64_t, Page> pages_;  // by page address
  uint64_t clock_ = 0;
};

}  // namespace ktriage
