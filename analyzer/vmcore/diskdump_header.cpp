// ReadDiskdumpHeader: makedumpfile's diskdump_mod.h layout for 64-bit targets.
#include "analyzer/vmcore/diskdump_header.h"

#include "analyzer/vmcore/file_bytes.h"

#include <bit>

namespace ktriage {
namespace {

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
  if (Result<size_t> got = PreadFull(fd, h, sizeof h, 0); !got || *got < sizeof h) return std::nullopt;
  DiskdumpHeader d;
  if (!ValidBlockSize(LoadUnsigned(h + 428, 4, true))) {
    d.little_endian = false;
    if (!ValidBlockSize(LoadUnsigned(h + 428, 4, false))) return std::nullopt;
  }
  const bool le = d.little_endian;
  d.header_version = static_cast<uint32_t>(LoadUnsigned(h + 8, 4, le));
  d.status = static_cast<uint32_t>(LoadUnsigned(h + 424, 4, le));
  d.block_size = LoadUnsigned(h + 428, 4, le);
  d.sub_hdr_size = LoadUnsigned(h + 432, 4, le);
  d.bitmap_blocks = LoadUnsigned(h + 436, 4, le);
  d.max_mapnr = LoadUnsigned(h + 440, 4, le);
  if (d.header_version >= 1) {
    // kdump_sub_header: split @12, start_pfn @16, end_pfn @24, offset_note @48, size_note @56,
    // start_pfn_64 @80, end_pfn_64 @88, max_mapnr_64 @96.
    unsigned char sub[104] = {};
    const Result<size_t> got = PreadFull(fd, sub, sizeof sub, d.block_size);
    const size_t n = got ? *got : 0;
    if (n >= 32 && d.header_version >= 2) {
      d.split = LoadUnsigned(sub + 12, 4, le) != 0;
      d.start_pfn = LoadUnsigned(sub + 16, 8, le);
      d.end_pfn = LoadUnsigned(sub + 24, 8, le);
    }
    if (n >= 64 && d.header_version >= 4) {
      d.note_offset = LoadUnsigned(sub + 48, 8, le);
      d.note_size = LoadUnsigned(sub + 56, 8, le);
    }
    if (n >= sizeof sub && d.header_version >= 6) {
      d.max_mapnr = LoadUnsigned(sub + 96, 8, le);
      if (d.split) {
        d.start_pfn = LoadUnsigned(sub + 80, 8, le);
        d.end_pfn = LoadUnsigned(sub + 88, 8, le);
      }
    }
  }
  return d;
}

}  // namespace ktriage
