// Fuzz target: bytes as a makedumpfile flattened file, scanned in memory (ScanFlattened over a
// buffer: the same record walk as over a file), replayed into a bounded in-memory image; when the
// image is a kdump-compressed file, its disk_dump_header is read as the dump opener reads it, and
// its blocks as DiskdumpPages reads them.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "analyzer/vmcore/diskdump_header.h"
#include "analyzer/vmcore/diskdump_pages.h"
#include "analyzer/vmcore/flattened_dump.h"
#include "base/scoped_fd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ktriage;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The first 64 KiB of the rebuilt file: enough for a kdump header; data beyond it only counts.
  constexpr uint64_t kImageBytes = 64 * 1024;
  std::string image;
  uint64_t delivered = 0;
  auto sink = [&](uint64_t dest, const char* piece, size_t n) -> Status {
    delivered += n;
    if (dest < kImageBytes) {
      const size_t keep = static_cast<size_t>(std::min<uint64_t>(n, kImageBytes - dest));
      if (image.size() < dest + keep) image.resize(static_cast<size_t>(dest + keep), '\0');
      std::memcpy(image.data() + dest, piece, keep);
    }
    return Ok{};
  };
  // Small read chunks put record boundaries everywhere inside the reader's buffer.
  const size_t chunk = kFlatRecordHeaderSize + size % 97;
  Result<FlatScan> scan = ScanFlattened(bytes, "fuzz.flat", sink, chunk);
  if (!scan) return 0;
  if (scan->data_bytes != delivered || scan->data_bytes > size) std::abort();
  uint64_t previous_end = 0;
  for (const auto& [begin, end] : scan->written) {
    if (begin >= end || end > scan->rebuilt_size || (begin < previous_end && previous_end != 0)) std::abort();
    previous_end = end;
  }
  if (scan->terminated != scan->truncation.empty()) std::abort();

  if (image.size() >= 8 && (image.compare(0, 8, "KDUMP   ") == 0 || image.compare(0, 8, "DISKDUMP") == 0)) {
    ScopedFd fd(::memfd_create("fuzz-kdump", MFD_CLOEXEC));
    if (!fd.valid()) return 0;
    if (::write(fd.get(), image.data(), image.size()) == static_cast<ssize_t>(image.size())) {
      if (auto header = ReadDiskdumpHeader(fd.get())) {
        (void)header->Compression();
        // Its bitmap, page descriptors and blocks, as DiskdumpPages reads odd-sized blocks; the
        // bitmap is bounded here so that a claimed huge page count cannot make the run slow.
        if (header->max_mapnr <= (uint64_t{1} << 24)) {
          if (Result<DiskdumpPages> pages = DiskdumpPages::Open(fd.get(), *header)) {
            unsigned char buffer[64];
            for (uint64_t at : {uint64_t{0}, header->block_size - 8, uint64_t{size} * 4096, header->block_size * 3 + 5})
              (void)pages->Read(at, buffer, sizeof buffer);
          }
        }
      }
    }
  }
  return 0;
}
