// DiskdumpHeader: the fields of makedumpfile's kdump-compressed header (disk_dump_header and
// kdump_sub_header) that ktriage needs besides libkdumpfile: page compression, split sets, and
// where bitmaps and page descriptors lie (for truncated files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ktriage {

struct DiskdumpHeader {
  bool little_endian = true;  // libkdumpfile accepts both byte orders; so do we
  uint32_t header_version = 0;
  uint32_t status = 0;  // DUMP_DH_COMPRESSED_* bits
  uint64_t block_size = 0;
  uint64_t sub_hdr_size = 0;  // in blocks
  uint64_t bitmap_blocks = 0;
  uint64_t max_mapnr = 0;  // max_mapnr_64 from version 6
  // kdump_sub_header (version 1+):
  bool split = false;  // one file of a `makedumpfile --split` set (version 2+)
  uint64_t start_pfn = 0, end_pfn = 0;  // its part of the PFN range, when split
  uint64_t note_offset = 0, note_size = 0;  // version 4+

  // "zlib", "lzo", "snappy", "zstd", or "none" when pages are stored raw.
  std::string Compression() const;
};

// Reads the headers of a file that starts with "KDUMP   " (or "DISKDUMP"); nullopt when it is too
// short or its block size is not a power of two in either byte order.
std::optional<DiskdumpHeader> ReadDiskdumpHeader(int fd);

}  // namespace ktriage
