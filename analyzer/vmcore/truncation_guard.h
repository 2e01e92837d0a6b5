// TruncationGuard: where the data of a physical page lies in a truncated dump file, so that reads
// of the missing tail fail instead of returning zeros (libkdumpfile 0.5.1 zero-fills short reads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ktriage {

// Sorted, disjoint [begin, end) byte ranges of a file that hold data: [0, size) for a plain file;
// for a dump rebuilt from a cut flattened file, the ranges its records filled (the rest are holes).
using Extents = std::vector<std::pair<uint64_t, uint64_t>>;

class TruncationGuard {
 public:
  // nullopt when the file holds everything its headers describe (the common case: no overhead),
  // unless `known_truncated` (a cut flattened file, whose holes the headers cannot reveal).
  // ELF: the program headers' extents. diskdump (one file of a set is not checked): the page
  // bitmap, the descriptor table and the data of the last 1 MiB of descriptors.
  static std::optional<TruncationGuard> ForElf(int fd, Extents present, bool known_truncated);
  static std::optional<TruncationGuard> ForDiskdump(int fd, Extents present, bool known_truncated);

  uint64_t file_size() const { return present_.empty() ? 0 : present_.back().second; }
  uint64_t expected_size() const { return expected_size_; }  // at least; for diskdump a lower bound
  // The notes (NT_PRSTATUS, VMCOREINFO) are in the missing part, wholly or partly.
  bool notes_missing() const { return notes_missing_; }

  // The file offset of the first missing byte needed for the `size` bytes at physical address
  // `paddr` (within one page), or nullopt when they are in the file, or are not dumped at all
  // (libkdumpfile then reports that itself).
  std::optional<uint64_t> MissingAt(uint64_t paddr, size_t size);

 private:
  struct Segment {
    uint64_t paddr, offset, filesz;
  };
  TruncationGuard() = default;
  std::optional<uint64_t> DiskdumpMissingAt(uint64_t paddr, size_t size);
  // The first byte of [offset, offset + size) that the file lacks.
  std::optional<uint64_t> FirstMissing(uint64_t offset, uint64_t size) const;

  int fd_ = -1;  // not owned
  Extents present_;
  uint64_t expected_size_ = 0;
  bool elf_ = false;
  bool little_endian_ = true;
  bool notes_missing_ = false;
  std::vector<Segment> segments_;  // ELF PT_LOADs
  // diskdump
  uint64_t block_size_ = 0;
  uint64_t max_pfn_ = 0;
  uint64_t bitmap_offset_ = 0;     // the bitmap libkdumpfile indexes descriptors by
  std::optional<uint64_t> bitmap_missing_;  // a bitmap byte the file lacks: no rank can be trusted
  uint64_t descs_offset_ = 0;
  std::vector<uint64_t> rank_;     // set bits before each bitmap block of block_size_ bytes
  std::vector<unsigned char> block_;  // one cached bitmap block
  uint64_t cached_block_ = UINT64_MAX;
};

}  // namespace ktriage
