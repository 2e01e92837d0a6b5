// DiskdumpPages: makedumpfile's layout (IMPLEMENTATION in makedumpfile's sources, and QEMU's
// dump/dump.c, which writes the same): the header block, the sub-header, two bitmaps of one bit
// per block (the second: blocks in the dump), then one 24-byte page_desc {offset, size, flags,
// page_flags} per dumped block, in PFN order.
#include "analyzer/vmcore/diskdump_pages.h"

#include <sys/stat.h>
#include <zlib.h>

#include <bit>
#include <cstring>

#include "analyzer/vmcore/file_bytes.h"
#include "base/text.h"

namespace ktriage {
namespace {

constexpr uint32_t kCompressedZlib = 0x1;
constexpr size_t kDescriptorSize = 24;
constexpr size_t kCachedBlocks = 16;

}  // namespace

Result<DiskdumpPages> DiskdumpPages::Open(int fd, const DiskdumpHeader& header) {
  if (!header.little_endian) return Error{"big-endian kdump-compressed files are read by libkdumpfile only"};
  if (header.split) return Error{"split kdump-compressed files are read by libkdumpfile only"};
  // Blocks are pages: 4 KiB to 64 KiB on every architecture (1 MiB leaves room, and bounds what a
  // corrupt header can make us allocate per block).
  if (header.block_size < 1024 || header.block_size > (1u << 20) || !std::has_single_bit(header.block_size) ||
      header.max_mapnr == 0 || header.sub_hdr_size > (1u << 20) || header.bitmap_blocks > (uint64_t{1} << 32) / header.block_size)
    return Error{"kdump-compressed header: no usable block size, page count or bitmap size"};
  DiskdumpPages p;
  p.fd_ = fd;
  p.block_size_ = header.block_size;
  p.max_mapnr_ = header.max_mapnr;
  const uint64_t bitmap_offset = (1 + header.sub_hdr_size) * header.block_size;
  const uint64_t bitmap_bytes = header.bitmap_blocks * header.block_size;
  p.descriptors_ = bitmap_offset + bitmap_bytes;
  // Bitmap 2 is the second half of the bitmap area.
  const uint64_t half = bitmap_bytes / 2;
  const uint64_t needed = (header.max_mapnr + 7) / 8;
  if (needed > half) return Error{"kdump-compressed header: bitmap smaller than its page count"};
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || static_cast<uint64_t>(sb.st_size) < bitmap_offset + half + needed)
    return Error{"kdump-compressed file ends inside its bitmap"};
  std::vector<unsigned char> bits(needed);
  Result<size_t> got = PreadFull(fd, bits.data(), bits.size(), bitmap_offset + half);
  if (!got) return got.error();
  if (*got != bits.size()) return Error{"kdump-compressed file ends inside its bitmap"};
  bits.resize((needed + 7) / 8 * 8, 0);
  p.dumpable_.resize(bits.size() / 8);
  p.before_.resize(p.dumpable_.size());
  uint64_t count = 0;
  for (size_t i = 0; i < p.dumpable_.size(); ++i) {
    p.dumpable_[i] = LoadUnsigned(bits.data() + 8 * i, 8, true);
    p.before_[i] = count;
    count += static_cast<uint64_t>(std::popcount(p.dumpable_[i]));
  }
  return p;
}

Result<const std::vector<unsigned char>*> DiskdumpPages::Block(uint64_t pfn) {
  if (auto it = cache_.find(pfn); it != cache_.end()) return &it->second;
  if (pfn >= max_mapnr_ || (dumpable_[pfn / 64] >> (pfn % 64) & 1) == 0)
    return Error{"block " + HexString(pfn) + " is not in the dump"};
  const uint64_t index = before_[pfn / 64] + static_cast<uint64_t>(std::popcount(dumpable_[pfn / 64] & ((uint64_t{1} << (pfn % 64)) - 1)));
  unsigned char desc[kDescriptorSize];
  Result<size_t> got = PreadFull(fd_, desc, sizeof desc, descriptors_ + index * kDescriptorSize);
  if (!got) return got.error();
  if (*got != sizeof desc) return Error{"block " + HexString(pfn) + ": its descriptor is beyond the end of the file"};
  const uint64_t offset = LoadUnsigned(desc, 8, true);
  const uint64_t size = LoadUnsigned(desc + 8, 4, true);
  const uint32_t flags = static_cast<uint32_t>(LoadUnsigned(desc + 12, 4, true));
  if (size == 0 || size > block_size_) return Error{"block " + HexString(pfn) + ": corrupt descriptor (size " + std::to_string(size) + ")"};
  std::vector<unsigned char> stored(size);
  got = PreadFull(fd_, stored.data(), stored.size(), offset);
  if (!got) return got.error();
  if (*got != stored.size()) return Error{"block " + HexString(pfn) + " is beyond the end of the file"};
  std::vector<unsigned char> block(block_size_);
  if (flags & kCompressedZlib) {
    uLongf out = static_cast<uLongf>(block.size());
    if (uncompress(block.data(), &out, stored.data(), static_cast<uLong>(stored.size())) != Z_OK || out != block.size())
      return Error{"block " + HexString(pfn) + ": corrupt zlib data"};
  } else if (flags != 0) {
    return Error{"block " + HexString(pfn) + ": compression flags " + HexString(flags) + " (only zlib is read here)"};
  } else if (size == block_size_) {
    block = std::move(stored);
  } else {
    return Error{"block " + HexString(pfn) + ": uncompressed but " + std::to_string(size) + " bytes"};
  }
  if (cache_.size() >= kCachedBlocks) cache_.erase(cache_.begin());
  return &cache_.emplace(pfn, std::move(block)).first->second;
}

Status DiskdumpPages::Read(uint64_t physical, void* buffer, size_t size) {
  unsigned char* out = static_cast<unsigned char*>(buffer);
  for (size_t done = 0; done < size;) {
    const uint64_t at = physical + done;
    const uint64_t within = at % block_size_;
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(size - done, block_size_ - within));
    Result<const std::vector<unsigned char>*> block = Block(at / block_size_);
    if (!block) return Error{"physical " + HexString(at) + ": " + block.error().message};
    std::memcpy(out + done, (*block)->data() + within, chunk);
    done += chunk;
  }
  return Ok{};
}

}  // namespace ktriage
