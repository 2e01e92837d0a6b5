// TruncationGuard: file extents of ELF PT_LOADs and of diskdump page descriptors, checked only
// for files shorter than their headers say.
#include "analyzer/vmcore/truncation_guard.h"

#include "analyzer/vmcore/diskdump_header.h"
#include "analyzer/vmcore/elf_core.h"
#include "analyzer/vmcore/file_bytes.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace ktriage {
namespace {

constexpr size_t kDescSize = 24;

// Set bits of 8 bitmap bytes, in any byte order. Counted here: std::popcount is a libgcc call on
// the x86-64 baseline (no POPCNT), and the bitmap of a large guest has millions of words.
uint64_t SetBits(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  v = v - ((v >> 1) & 0x5555555555555555);
  v = (v & 0x3333333333333333) + ((v >> 2) & 0x3333333333333333);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0f;
  return (v * 0x0101010101010101) >> 56;
}  // struct page_desc { off_t offset; u32 size; u32 flags; u64 page_flags; }

}  // namespace

std::optional<uint64_t> TruncationGuard::FirstMissing(uint64_t offset, uint64_t size) const {
  if (size == 0) return std::nullopt;
  // The last extent starting at or before `offset`.
  auto it = std::upper_bound(present_.begin(), present_.end(), offset,
                             [](uint64_t v, const std::pair<uint64_t, uint64_t>& e) { return v < e.first; });
  if (it == present_.begin()) return offset;
  --it;
  if (offset >= it->second) return offset;
  if (offset + size > it->second) return it->second;
  return std::nullopt;
}

std::optional<TruncationGuard> TruncationGuard::ForElf(int fd, Extents present, bool known_truncated) {
  std::optional<ElfLayout> layout = ReadElfLayout(fd);
  if (!layout) return std::nullopt;
  TruncationGuard guard;
  guard.fd_ = fd;
  guard.elf_ = true;
  guard.present_ = std::move(present);
  const uint64_t file_size = guard.file_size();
  for (const ElfSegment& s : layout->segments) {
    guard.expected_size_ = std::max(guard.expected_size_, s.offset + s.filesz);
    if (s.type == kPtLoad) guard.segments_.push_back({s.paddr, s.offset, s.filesz});
    if (s.type == kPtNote && guard.FirstMissing(s.offset, s.filesz)) guard.notes_missing_ = true;
  }
  if (layout->headers_cut_at) guard.expected_size_ = std::max(guard.expected_size_, *layout->headers_cut_at);
  if (guard.expected_size_ <= file_size && !known_truncated) return std::nullopt;
  return guard;
}

std::optional<TruncationGuard> TruncationGuard::ForDiskdump(int fd, Extents present, bool known_truncated) {
  std::optional<DiskdumpHeader> header = ReadDiskdumpHeader(fd);
  if (!header || header->split) return std::nullopt;  // too short for libkdumpfile too; split: not checked
  const bool le = header->little_endian;
  const uint64_t block_size = header->block_size;
  const uint64_t header_version = header->header_version;
  const uint64_t sub_hdr_size = header->sub_hdr_size;
  const uint64_t bitmap_blocks = header->bitmap_blocks;
  const uint64_t max_pfn = header->max_mapnr;
  const uint64_t note_offset = header->note_offset, note_size = header->note_size;

  TruncationGuard guard;
  guard.fd_ = fd;
  guard.present_ = std::move(present);
  const uint64_t file_size = guard.file_size();
  // The sub header itself, then the notes it points to.
  guard.notes_missing_ = header_version >= 4 && (guard.FirstMissing(block_size, 64) ||
                                                 (note_offset + note_size >= note_offset &&
                                                  guard.FirstMissing(note_offset, note_size)));
  guard.block_size_ = block_size;
  guard.little_endian_ = le;
  uint64_t bitmap_offset = (1 + sub_hdr_size) * block_size;
  uint64_t bitmap_size = bitmap_blocks * block_size;
  guard.descs_offset_ = bitmap_offset + bitmap_size;
  // As libkdumpfile's read_bitmap(): makedumpfile writes two bitmaps; descriptors follow the second.
  if (max_pfn <= bitmap_size * 8 / 2) {
    bitmap_size /= 2;
    bitmap_offset += bitmap_size;
  }
  guard.max_pfn_ = std::min(max_pfn, bitmap_size * 8);
  guard.bitmap_offset_ = bitmap_offset;
  guard.expected_size_ = bitmap_offset + bitmap_size;
  guard.bitmap_missing_ = guard.FirstMissing(bitmap_offset, bitmap_size);
  if (guard.bitmap_missing_) return guard;

  // Set bits before each bitmap block: descriptor index = rank of the PFN.
  std::vector<unsigned char> block(block_size);
  uint64_t total = 0;
  for (uint64_t b = 0; b < bitmap_size / block_size; ++b) {
    guard.rank_.push_back(total);
    auto n = PreadFull(fd, block.data(), block_size, bitmap_offset + b * block_size);
    if (!n || *n < block_size) return std::nullopt;
    for (size_t i = 0; i < block_size; i += 8) total += SetBits(block.data() + i);
  }
  guard.expected_size_ = guard.descs_offset_ + total * kDescSize;
  if (guard.expected_size_ > file_size) return guard;

  // Page data is written in PFN order after the one shared zero page, so the last descriptor that
  // is not the zero page's points to the end of the data. Read backwards a block at a time until
  // one is found (a dump of mostly zero pages at the top), at most 1 MiB of descriptors.
  const uint64_t data_start = guard.expected_size_;
  constexpr uint64_t kChunk = 4096 / kDescSize;
  std::vector<unsigned char> descs(kChunk * kDescSize);
  for (uint64_t end = total, scanned = 0; end > 0 && scanned < (1 << 20) / kDescSize;) {
    const uint64_t count = std::min(end, kChunk);
    const uint64_t first = end - count;
    auto n = PreadFull(fd, descs.data(), count * kDescSize, guard.descs_offset_ + first * kDescSize);
    if (!n || *n < count * kDescSize) return std::nullopt;
    bool found_data_page = false;
    for (uint64_t i = 0; i < count; ++i) {
      const unsigned char* d = descs.data() + i * kDescSize;
      const uint64_t offset = LoadUnsigned(d, 8, le), size = LoadUnsigned(d + 8, 4, le);
      if (offset + size < offset) continue;  // corrupt: libkdumpfile judges it
      guard.expected_size_ = std::max(guard.expected_size_, offset + size);
      found_data_page |= offset > data_start;
    }
    if (found_data_page) break;
    end = first;
    scanned += count;
  }
  if (guard.expected_size_ <= file_size && !known_truncated) return std::nullopt;
  return guard;
}

std::optional<uint64_t> TruncationGuard::MissingAt(uint64_t paddr, size_t size) {
  if (!elf_) return DiskdumpMissingAt(paddr, size);
  for (const Segment& s : segments_) {
    if (paddr < s.paddr || paddr - s.paddr >= s.filesz) continue;
    const uint64_t offset = s.offset + (paddr - s.paddr);
    return FirstMissing(offset, std::min<uint64_t>(size, s.filesz - (paddr - s.paddr)));
  }
  return std::nullopt;
}

std::optional<uint64_t> TruncationGuard::DiskdumpMissingAt(uint64_t paddr, size_t size) {
  (void)size;  // one page: its descriptor says how many file bytes it needs
  const uint64_t pfn = paddr / block_size_;
  if (pfn >= max_pfn_) return std::nullopt;
  // Descriptor indexes count the bits before the PFN's: with a hole in the bitmap, libkdumpfile
  // would pick the wrong descriptor.
  if (bitmap_missing_) return bitmap_missing_;
  if (rank_.empty()) return std::nullopt;  // unreachable: a complete bitmap has ranks
  const uint64_t bits_per_block = block_size_ * 8;
  const uint64_t block = pfn / bits_per_block;
  if (block != cached_block_) {
    if (block_.size() != block_size_) block_.resize(block_size_);
    auto n = PreadFull(fd_, block_.data(), block_size_, bitmap_offset_ + block * block_size_);
    if (!n || *n < block_size_) return bitmap_offset_ + block * block_size_;
    cached_block_ = block;
  }
  const uint64_t bit = pfn % bits_per_block;
  if (!(block_[bit / 8] >> (bit % 8) & 1)) return std::nullopt;  // not dumped: libkdumpfile says so
  uint64_t index = rank_[block];
  for (uint64_t i = 0; i < bit / 8; ++i) index += std::popcount(static_cast<unsigned>(block_[i]));
  index += std::popcount(static_cast<unsigned>(block_[bit / 8] & ((1u << (bit % 8)) - 1)));
  const uint64_t desc_at = descs_offset_ + index * kDescSize;
  if (auto missing = FirstMissing(desc_at, kDescSize)) return missing;
  unsigned char d[kDescSize];
  auto n = PreadFull(fd_, d, sizeof d, desc_at);
  if (!n || *n < sizeof d) return desc_at;
  const bool le = little_endian_;
  const uint64_t offset = LoadUnsigned(d, 8, le), length = LoadUnsigned(d + 8, 4, le);
  if (offset + length < offset) return std::nullopt;  // corrupt: libkdumpfile says so
  return FirstMissing(offset, length);
}

}  // namespace ktriage
