// ReadDiskdumpHeader: makedumpfile's diskdump_mod.h layout for 64-bit targets.
#include "analyzer/vmcore/diskdump_header.h"

#include <errno.h>
#include <unistd.h>

#include <bit>

namespace ktriage {
namespace {

uint64_t Load(const unsigned char* p, size_t n, bool little_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[little_endian ? i : n - 1 - i]} << (8 * i);
  return v;
}

size_t ReadAt(int fd, void* buffer, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t got = ::pread(fd, static_cast<char*>(buffer) + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

bool ValidBlockSize(uint64_t b) { return b >= 1024 && b <= (1u << 20) && std::has_single_bit(b); }

}  // namespace

std::string DiskdumpHeader::Compression() const {
  if (status & 0x1) return "zlib";
  if (status & 0x2) return "lzo";
  if (status & 0x4) return "snappy";
  if (status & 0x20) return "zstd";
  return "none";
}

std::optional<DiskdumpHeader> ReadDiskdumpHeader(int fd) {
  // disk_dump_header: header_version @8, status @424, block_size @428, sub_hdr_size @432,
  // bitmap_blocks @436, max_mapnr @440.
  unsigned char h[444];
  if (ReadAt(fd, h, sizeof h, 0) < sizeof h) return std::nullopt;
  DiskdumpHeader d;
  if (!ValidBlockSize(Load(h + 428, 4, true))) {
    d.little_endian = false;
    if (!ValidBlockSize(Load(h + 428, 4, false))) return std::nullopt;
  }
  const bool le = d.little_endian;
  d.header_version = static_cast<uint32_t>(Load(h + 8, 4, le));
  d.status = static_cast<uint32_t>(Load(h + 424, 4, le));
  d.block_size = Load(h + 428, 4, le);
  d.sub_hdr_size = Load(h + 432, 4, le);
  d.bitmap_blocks = Load(h + 436, 4, le);
  d.max_mapnr = Load(h + 440, 4, le);
  if (d.header_version >= 1) {
    // kdump_sub_header: split @12, start_pfn @16, end_pfn @24, offset_note @48, size_note @56,
    // start_pfn_64 @80, end_pfn_64 @88, max_mapnr_64 @96.
    unsigned char sub[104] = {};
    const size_t n = ReadAt(fd, sub, sizeof sub, d.block_size);
    if (n >= 32 && d.header_version >= 2) {
      d.split = Load(sub + 12, 4, le) != 0;
      d.start_pfn = Load(sub + 16, 8, le);
      d.end_pfn = Load(sub + 24, 8, le);
    }
    if (n >= 64 && d.header_version >= 4) {
      d.note_offset = Load(sub + 48, 8, le);
      d.note_size = Load(sub + 56, 8, le);
    }
    if (n >= sizeof sub && d.header_version >= 6) {
      d.max_mapnr = Load(sub + 96, 8, le);
      if (d.split) {
        d.start_pfn = Load(sub + 80, 8, le);
        d.end_pfn = Load(sub + 88, 8, le);
      }
    }
  }
  return d;
}

}  // namespace ktriage
