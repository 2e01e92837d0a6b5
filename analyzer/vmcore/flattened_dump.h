// FlattenedDump: makedumpfile's flattened format (`makedumpfile -F`, Debian kdump-tools' default,
// QEMU 7.2's kdump formats), which libkdumpfile 0.5.1 cannot open, rebuilt into a seekable file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/scoped_fd.h"
#include "base/result.h"

namespace ktriage {

// Layout (makedumpfile.h, all fields big-endian whatever the host or the dumped machine):
// a 4096-byte header {char signature[16] = "makedumpfile"; int64 type = 1; int64 version = 1;
// zero padding}, then records {int64 offset; int64 buf_size; buf_size bytes} whose data goes to
// `offset` of the rebuilt file, applied in file order (a later record may overwrite an earlier
// one), ended by a record with offset == -1 (and buf_size == -1).
inline constexpr size_t kFlatHeaderSize = 4096;
inline constexpr size_t kFlatRecordHeaderSize = 16;

// True when `data` starts with the 16-byte flattened signature ("makedumpfile" and NULs).
bool HasFlattenedSignature(const void* data, size_t size);

struct FlatScan {
  uint64_t records = 0;       // records seen (a cut one included)
  uint64_t data_bytes = 0;    // data bytes present
  uint64_t rebuilt_size = 0;  // end of the furthest data present
  bool terminated = false;    // the end marker was found
  // The [begin, end) ranges of the rebuilt file that records filled, coalesced and sorted: in a
  // cut file the rest are holes that read as zeros, not data.
  std::vector<std::pair<uint64_t, uint64_t>> written;
  // Empty for a complete file; otherwise what is missing ("cut in record #12 at byte 4096: ...").
  std::string truncation;
};

// Walks the records in file order, handing each one's data to `on_data` in pieces of at most
// `chunk` bytes (`dest`: where that piece goes in the rebuilt file). A file that ends early (in a
// record header, in a record's data, or before the end marker) is not an error: `truncation` says
// what is missing, and the data present is still delivered, so a dump cut by a full disk keeps
// what it has. Errors (naming `path`): no signature, a file shorter than the 4096-byte header, an
// unsupported type, a corrupt record (negative offset or size other than the end marker, either
// beyond 2^62), read errors, or `on_data`'s own error.
using FlatDataSink = std::function<Status(uint64_t dest, const char* data, size_t size)>;
Result<FlatScan> ScanFlattened(int fd, const std::string& path, const FlatDataSink& on_data,
                               size_t chunk = 1 << 20);
// The same over bytes already in memory (tests, fuzzing); `name` stands for the path.
Result<FlatScan> ScanFlattened(std::string_view bytes, const std::string& name, const FlatDataSink& on_data,
                               size_t chunk = 1 << 20);

struct RebuiltDump {
  ScopedFd fd;  // read-only use: the rebuilt file, already unlinked (it vanishes when closed)
  FlatScan scan;
};

// Rebuilds the dump into a sparse, immediately unlinked temp file in `temp_dir` (O_TMPFILE, or
// mkstemp + unlink where the file system lacks it), streaming through a 1 MiB buffer: the disk
// cost is the size of the data (about the flattened file's size), memory stays constant.
Result<RebuiltDump> RebuildFlattened(int fd, const std::string& path, const std::string& temp_dir);

}  // namespace ktriage
