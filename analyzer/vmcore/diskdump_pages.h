// DiskdumpPages: the physical memory of a kdump-compressed file, read block by block in the
// file's own block size. libkdumpfile 0.5.1 takes the kernel's page size for the block size, so
// it misreads QEMU's arm64 dumps, which are written in 64 KiB blocks (QEMU's largest arm64 page
// size) whatever page size the guest kernel uses ("Out-of-bounds PFN").
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "analyzer/vmcore/diskdump_header.h"
#include "base/result.h"

namespace ktriage {

class DiskdumpPages {
 public:
  // Reads the dumpable-page bitmap of the file at `fd` (kept open by the caller); an error when
  // the file is not one this reader handles (big-endian, split, compressed other than zlib).
  static Result<DiskdumpPages> Open(int fd, const DiskdumpHeader& header);

  // `size` bytes of physical memory at `physical`; an error names the block and why (not in the
  // dump, beyond the end of the file, corrupt).
  Status Read(uint64_t physical, void* buffer, size_t size);

 private:
  Result<const std::vector<unsigned char>*> Block(uint64_t pfn);

  int fd_ = -1;
  uint64_t block_size_ = 0;
  uint64_t max_mapnr_ = 0;
  uint64_t descriptors_ = 0;          // file offset of the first page descriptor
  std::vector<uint64_t> dumpable_;    // bitmap 2, one bit per block
  std::vector<uint64_t> before_;      // dumpable blocks before each bitmap word
  std::map<uint64_t, std::vector<unsigned char>> cache_;  // a few decompressed blocks by PFN
};

}  // namespace ktriage
