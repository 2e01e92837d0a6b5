// FlattenedDump: streaming scan of makedumpfile's flattened format and its rebuild into a temp file.
//
// Why a rebuilt temp file: libkdumpfile 0.5.1 reads dumps only through file descriptors
// (kdump_open_fdset); it has no I/O hook (addrxlat's get_page callbacks serve page-table reads,
// not file reads), and a flattened file cannot be read in place because every record's data is
// preceded by a 16-byte header and records arrive out of order (page descriptors and page data
// interleave). So the records are replayed, in file order, into an O_TMPFILE (never linked into
// any directory, so nothing is left behind even on a crash) under the caller's temp dir. Cost:
// one sequential pass over the file (52 ms for QEMU's 42 MB kdump-zlib file from the page cache),
// disk equal to the data (41 MB there; holes stay holes; RAM instead if the temp dir is a tmpfs),
// and a constant 1 MiB buffer (peak RSS 3.6 MB). Alternatives rejected: an index plus a memfd
// would hold the whole dump in RAM; an index alone is useless to libkdumpfile, which needs an fd.
#include "analyzer/vmcore/flattened_dump.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <string_view>
#include <vector>

namespace ktriage {
namespace {

constexpr char kSignature[16] = {'m', 'a', 'k', 'e', 'd', 'u', 'm', 'p', 'f', 'i', 'l', 'e', 0, 0, 0, 0};
constexpr int64_t kTypeFlatHeader = 1;
constexpr int64_t kEndFlag = -1;
// Offsets beyond this are corrupt: no file system stores a file that large, and the sum with
// the size cannot overflow.
constexpr uint64_t kMaxOffset = uint64_t{1} << 62;

int64_t LoadBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<int64_t>(v);
}

std::string Errno(const char* call) {
  const int err = errno;
  return std::string(call) + ": " + std::strerror(err);
}

// The flattened bytes: a file read with pread(), or a buffer already in memory (tests, fuzzing).
struct FlatInput {
  int fd = -1;
  std::string_view bytes;  // used when fd < 0

  // Up to `n` bytes at `pos`; 0 at the end.
  Result<size_t> ReadAt(uint64_t pos, char* out, size_t n) const {
    if (fd < 0) {
      if (pos >= bytes.size()) return size_t{0};
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n, bytes.size() - pos));
      std::memcpy(out, bytes.data() + pos, take);
      return take;
    }
    for (;;) {
      ssize_t got = ::pread(fd, out, n, static_cast<off_t>(pos));
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return Error{Errno("pread")};
    }
  }
};

// Sequential reads through one buffer, so that the many small record headers cost no syscalls.
class SequentialReader {
 public:
  SequentialReader(const FlatInput& input, uint64_t start, size_t capacity)
      : input_(input), file_pos_(start), buffer_(capacity) {}

  // Up to `n` (<= capacity) bytes; fewer only at the end of the file.
  Result<std::string_view> Take(size_t n) {
    if (end_ - begin_ < n && !eof_) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      while (end_ < buffer_.size()) {
        Result<size_t> got = input_.ReadAt(file_pos_, buffer_.data() + end_, buffer_.size() - end_);
        if (!got) return got.error();
        if (*got == 0) {
          eof_ = true;
          break;
        }
        end_ += *got;
        file_pos_ += *got;
      }
    }
    size_t take = std::min(n, end_ - begin_);
    std::string_view out(buffer_.data() + begin_, take);
    begin_ += take;
    consumed_ += take;
    return out;
  }
  uint64_t consumed() const { return consumed_; }

 private:
  const FlatInput& input_;
  uint64_t file_pos_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t consumed_ = 0;
};

// Adds [begin, end) to a set of disjoint ranges, merging overlapping and adjacent ones.
void AddRange(std::map<uint64_t, uint64_t>& ranges, uint64_t begin, uint64_t end) {
  auto it = ranges.upper_bound(begin);
  if (it != ranges.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= begin) {
      begin = prev->first;
      end = std::max(end, prev->second);
      ranges.erase(prev);
    }
  }
  while (it != ranges.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = ranges.erase(it);
  }
  ranges.emplace(begin, end);
}

}  // namespace

bool HasFlattenedSignature(const void* data, size_t size) {
  return size >= sizeof kSignature && std::memcmp(data, kSignature, sizeof kSignature) == 0;
}

namespace {

// The scan of either input once its size is known.
Result<FlatScan> Scan(const FlatInput& input, uint64_t input_size, const std::string& path,
                      const FlatDataSink& on_data, size_t chunk) {
  if (chunk < kFlatRecordHeaderSize) chunk = kFlatRecordHeaderSize;
  char header[32] = {};
  Result<size_t> got = input.ReadAt(0, header, sizeof header);
  if (!got) return Error{path + ": " + got.error().message};
  if (!HasFlattenedSignature(header, *got))
    return Error{path + ": not a flattened dump (no \"makedumpfile\" signature)"};
  if (input_size < kFlatHeaderSize)
    return Error{path + ": flattened dump cut in its 4096-byte header (" + std::to_string(input_size) +
                 " bytes): no dump data"};
  const int64_t type = LoadBigEndian64(header + 16);
  if (type != kTypeFlatHeader)
    return Error{path + ": flattened dump of unsupported type " + std::to_string(type) + " (expected 1)"};

  FlatScan scan;
  std::map<uint64_t, uint64_t> written;
  auto finish = [&]() -> FlatScan {
    scan.written.assign(written.begin(), written.end());
    return std::move(scan);
  };
  SequentialReader reader(input, kFlatHeaderSize, chunk);
  for (;;) {
    const uint64_t header_at = kFlatHeaderSize + reader.consumed();
    auto head = reader.Take(kFlatRecordHeaderSize);
    if (!head) return Error{path + ": " + head.error().message};
    if (head->size() < kFlatRecordHeaderSize) {
      scan.truncation = head->empty()
                            ? "ends after record #" + std::to_string(scan.records) + " at byte " +
                                  std::to_string(header_at) + " without the end marker"
                            : "cut in the header of record #" + std::to_string(scan.records + 1) +
                                  " at byte " + std::to_string(header_at);
      return finish();
    }
    const int64_t offset = LoadBigEndian64(head->data());
    const int64_t size = LoadBigEndian64(head->data() + 8);
    if (offset == kEndFlag && size == kEndFlag) {
      scan.terminated = true;
      return finish();
    }
    const std::string where = "record #" + std::to_string(scan.records + 1) + " at byte " + std::to_string(header_at);
    if (offset < 0 || size < 0 || static_cast<uint64_t>(offset) > kMaxOffset ||
        static_cast<uint64_t>(size) > kMaxOffset)
      return Error{path + ": corrupt flattened dump: " + where + " has offset " + std::to_string(offset) +
                   " and size " + std::to_string(size)};
    ++scan.records;
    uint64_t dest = static_cast<uint64_t>(offset);
    uint64_t left = static_cast<uint64_t>(size);
    while (left > 0) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(left, chunk));
      auto piece = reader.Take(want);
      if (!piece) return Error{path + ": " + piece.error().message};
      if (!piece->empty()) {
        Status sunk = on_data(dest, piece->data(), piece->size());
        if (!sunk) return Error{path + ": " + sunk.error().message};
        dest += piece->size();
        left -= piece->size();
        scan.data_bytes += piece->size();
        scan.rebuilt_size = std::max(scan.rebuilt_size, dest);
        AddRange(written, dest - piece->size(), dest);
      }
      if (piece->size() < want) {
        scan.truncation = "cut in the data of " + where + ": " + std::to_string(size - static_cast<int64_t>(left)) +
                          " of its " + std::to_string(size) + " bytes present";
        return finish();
      }
    }
  }
}

}  // namespace

Result<FlatScan> ScanFlattened(int fd, const std::string& path, const FlatDataSink& on_data, size_t chunk) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{path + ": " + Errno("fstat")};
  return Scan(FlatInput{fd, {}}, static_cast<uint64_t>(st.st_size), path, on_data, chunk);
}

Result<FlatScan> ScanFlattened(std::string_view bytes, const std::string& name, const FlatDataSink& on_data,
                               size_t chunk) {
  return Scan(FlatInput{-1, bytes}, bytes.size(), name, on_data, chunk);
}

Result<RebuiltDump> RebuildFlattened(int fd, const std::string& path, const std::string& temp_dir) {
  const std::string dir = temp_dir.empty() ? std::string("/tmp") : temp_dir;
  RebuiltDump out;
  out.fd.Reset(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!out.fd.valid()) {
    // O_TMPFILE needs file system support (ext4, xfs, btrfs, tmpfs have it; some FUSE and NFS
    // do not): fall back to a named file unlinked at once.
    std::string name = dir + "/ktriage-flattened-XXXXXX";
    out.fd.Reset(::mkostemp(name.data(), O_CLOEXEC));
    if (!out.fd.valid()) {
      const int err = errno;
      return Error{path + ": cannot create a temp file in " + dir + " to rebuild the flattened dump: " +
                   std::strerror(err) + " (set TMPDIR to a writable directory)"};
    }
    ::unlink(name.c_str());
  }
  const int dst = out.fd.get();
  auto sink = [&](uint64_t dest, const char* data, size_t size) -> Status {
    while (size > 0) {
      ssize_t put = ::pwrite(dst, data, size, static_cast<off_t>(dest));
      if (put == 0) return Error{"rebuilding the flattened dump in " + dir + ": pwrite wrote nothing"};
      if (put < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        return Error{"rebuilding the flattened dump in " + dir + ": pwrite: " + std::strerror(err) +
                     (err == ENOSPC ? " (it needs about the flattened file's size; set TMPDIR elsewhere)" : "")};
      }
      data += put;
      size -= static_cast<size_t>(put);
      dest += static_cast<uint64_t>(put);
    }
    return Ok{};
  };
  auto scan = ScanFlattened(fd, path, sink);
  if (!scan) return scan.error();
  out.scan = std::move(*scan);
  return out;
}

}  // namespace ktriage
