// ArchiveReader: one archive (tar, zip, cpio) or compressed file (gzip, xz, zstd, bzip2, lz4,
// compress) read as a stream through libarchive's callbacks from any InputSource: a file, or the
// member of an enclosing archive, so archives inside archives are read without writing anything to
// disk. Only libarchive's in-process filters are enabled (never filter_all or program filters).
#pragma once

#include <archive.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/ingest/gzip_source.h"
#include "analyzer/ingest/input_source.h"
#include "base/result.h"
#include "analyzer/ingest/input_limits.h"
#include "base/shared_bytes.h"

namespace ktriage {

// What one top-level input has expanded to so far, shared by its nesting levels.
struct ExpansionBudget {
  const InputLimits* limits = nullptr;
  std::string input;       // the top-level input's name, for messages
  uint64_t expanded = 0;   // bytes of member data, every level
  uint64_t members = 0;    // archive entries, every level
  bool exhausted = false;  // a limit was passed: nothing more of this input is read
};

// An InputSource over a file descriptor, with read() (no read-ahead of its own: libarchive's
// callback buffer is the only one).
class FileByteSource final : public InputSource {
 public:
  FileByteSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<size_t> Read(char* buffer, size_t size) override;
  const std::string& name() const override { return name_; }
  std::string_view compression() const override { return "none"; }

 private:
  int fd_;
  std::string name_;
};

class BlockPool;

struct ArchiveMember {
  std::string raw_name;               // as stored: untrusted
  std::string display;                // "archive!member", escaped (member_name.h)
  bool regular = false;               // a regular file with data (not a directory, link or device)
  std::string not_regular;            // "directory", "symbolic link", "hard link", "special file"
  std::optional<uint64_t> size;       // declared size, when the format stores it
  std::optional<int64_t> mtime;       // seconds since the epoch
};

class ArchiveReader {
 public:
  // `name`: the archive's display name; `depth`: 1 for an archive on disk, +1 per nesting level.
  // Errors: not an archive or compressed stream libarchive reads, corrupt headers, limits.
  static Result<std::unique_ptr<ArchiveReader>> Open(InputSource& source, std::string name, int depth,
                                                     ExpansionBudget& budget, const std::atomic<bool>* cancel);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // A compressed single file ("raw" format): its one member is the decompressed stream, and that
  // member's display name is the archive's own.
  bool raw() const { return raw_; }
  // Filters from the outside in ("gzip", "xz"...), "none" when there is none.
  const std::string& compression() const { return compression_; }
  const std::string& name() const { return name_; }

  // The next member; false at the end. After an error the archive cannot be read further.
  Result<bool> Next(ArchiveMember& member);
  // The current member's next bytes, at most `max`, in place: no copy. With an owner they are a
  // slice of a decompressed block that lives as long as someone holds it; without, they are valid
  // until the next read. Empty at the member's end. Errors
  // name the member; stopped() tells whether the rest of the archive cannot be read.
  Result<SharedBytes> ReadChunk(size_t max);
  // The same, copied into `buffer` (as many as fit, fewer only at the end); 0 at its end.
  Result<size_t> ReadData(char* buffer, size_t size);
  // Skips the rest of the current member (its declared size counts against the limits).
  Status SkipData();
  bool stopped() const { return stopped_; }
  int depth() const { return depth_; }

 private:
  ArchiveReader(InputSource& source, std::string name, int depth, ExpansionBudget& budget,
                const std::atomic<bool>* cancel);
  static la_ssize_t ReadCallback(archive* a, void* self, const void** buffer);
  // libarchive set up and the first header read; `raw_only`: as a compressed single file.
  Status Begin(bool raw_only);
  std::string LibarchiveError(const std::string& what) const;
  Status CheckLimits(uint64_t upcoming);
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed); }

  GzipSource gzip_;           // the only reader of the source: gzip is inflated by ISA-L, not libarchive's zlib
  std::string name_;
  int depth_;
  ExpansionBudget& budget_;
  const std::atomic<bool>* cancel_;
  archive* archive_ = nullptr;
  std::shared_ptr<BlockPool> pool_;
  std::shared_ptr<std::vector<char>> block_;  // what the read callback last gave libarchive
  uint64_t consumed_ = 0;     // compressed bytes taken from the source (gzip_.consumed())
  uint64_t expanded_ = 0;     // member bytes of this archive (for its ratio)
  bool raw_ = false;
  bool first_was_eof_ = false;    // the first header read found the end: no member at all
  // The first opening's bytes, kept until Open returns, for a second opening (see Open).
  bool capturing_ = false;
  bool replaying_ = false;
  bool capture_overflow_ = false;
  std::string captured_;
  size_t replay_ = 0;
  struct archive_entry* first_entry_ = nullptr;  // Open read the first header already
  bool stopped_ = false;
  std::string compression_;
  std::string source_error_;  // why the source failed, when it did
  std::string member_display_;
  std::optional<uint64_t> member_size_;
  uint64_t member_read_ = 0;   // bytes of the member taken from libarchive (limits count these)
  // The member's data block libarchive last returned, not yet handed out, and the zeros of a
  // sparse member's hole before it.
  std::string_view pending_;
  uint64_t hole_ = 0;
  uint64_t position_ = 0;      // bytes of the member handed out
  bool member_done_ = false;
};

}  // namespace ktriage
