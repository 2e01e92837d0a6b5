// ArchiveReader: libarchive over callbacks, with the expansion limits of InputLimits.
#include "analyzer/ingest/archive_reader.h"

#include <archive_entry.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "analyzer/ingest/member_name.h"

namespace ktriage {
namespace {

// The callback's blocks: libarchive's filters read ahead at most this much from the enclosing
// stream, so memory per nesting level stays small; large enough that most members of a tar lie
// whole in one block (and go to their worker as a slice of it).
constexpr size_t kCallbackBytes = 4 * 1024 * 1024;
// Blocks kept alive by members waiting for a worker, at most: past it, members are copied out,
// so memory stays bounded whatever their sizes (a small member would otherwise hold a whole block).
constexpr size_t kMaxSharedBlocks = 8;
// Blocks kept for reuse: a fresh megabyte costs page faults on every use.
constexpr size_t kFreeBlocks = 4;

// The zeros of a sparse member's holes, handed out like data.
constexpr char kZeros[4096] = {};

std::string Bytes(uint64_t n) { return std::to_string(n) + " bytes"; }

// What the first opening of a stream may keep for a second one (see Open): libarchive decides the
// format within its first blocks.
constexpr size_t kMaxCapturedBytes = 16 * 1024 * 1024;

}  // namespace

// The read callback's blocks. A block comes back here when its last holder lets go: the reader,
// or the last member read from it (on a worker thread, hence the lock).
class BlockPool : public std::enable_shared_from_this<BlockPool> {
 public:
  std::shared_ptr<std::vector<char>> Get() {
    std::unique_ptr<std::vector<char>> block;
    {
      std::lock_guard lock(mu_);
      ++outstanding_;
      if (!free_.empty()) {
        block = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!block) block = std::make_unique<std::vector<char>>(kCallbackBytes);
    std::shared_ptr<BlockPool> self = shared_from_this();
    return std::shared_ptr<std::vector<char>>(block.release(), [self](std::vector<char>* b) { self->Put(b); });
  }

  size_t outstanding() {
    std::lock_guard lock(mu_);
    return outstanding_;
  }

 private:
  void Put(std::vector<char>* b) {
    std::unique_ptr<std::vector<char>> block(b);
    std::lock_guard lock(mu_);
    --outstanding_;
    if (free_.size() < kFreeBlocks) free_.push_back(std::move(block));
  }

  std::mutex mu_;
  std::vector<std::unique_ptr<std::vector<char>>> free_;
  size_t outstanding_ = 0;
};

Result<size_t> FileByteSource::Read(char* buffer, size_t size) {
  for (;;) {
    const ssize_t got = ::read(fd_, buffer, size);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return Error{name_ + ": " + std::strerror(errno)};
  }
}

ArchiveReader::ArchiveReader(InputSource& source, std::string name, int depth, ExpansionBudget& budget,
                             const std::atomic<bool>* cancel)
    : gzip_(source), name_(std::move(name)), depth_(depth), budget_(budget), cancel_(cancel) {}

ArchiveReader::~ArchiveReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

la_ssize_t ArchiveReader::ReadCallback(archive* a, void* self, const void** buffer) {
  auto* r = static_cast<ArchiveReader*>(self);
  if (r->Cancelled()) {
    r->source_error_ = "interrupted";
    archive_set_error(a, EINTR, "interrupted");
    return -1;
  }
  // libarchive is done with the previous block when it asks for the next (it copies what it
  // still needs): the block is reused unless members read from it are still held.
  if (!r->block_ || r->block_.use_count() > 1) r->block_ = r->pool_->Get();
  if (r->replaying_) {  // the second opening reads what the first one did, then the stream
    const size_t n = std::min(r->block_->size(), r->captured_.size() - r->replay_);
    std::memcpy(r->block_->data(), r->captured_.data() + r->replay_, n);
    r->replay_ += n;
    if (r->replay_ == r->captured_.size()) {
      r->replaying_ = false;
      std::string().swap(r->captured_);
    }
    *buffer = r->block_->data();
    return static_cast<la_ssize_t>(n);
  }
  Result<size_t> got = r->gzip_.Read(r->block_->data(), r->block_->size());
  if (!got) {
    r->source_error_ = got.error().message;
    archive_set_error(a, EIO, "%s", r->source_error_.c_str());
    return -1;
  }
  r->consumed_ = r->gzip_.consumed();
  if (r->capturing_) {
    if (r->captured_.size() + *got <= kMaxCapturedBytes) r->captured_.append(r->block_->data(), *got);
    else r->capture_overflow_ = true;
  }
  *buffer = r->block_->data();
  return static_cast<la_ssize_t>(*got);
}

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(InputSource& source, std::string name, int depth,
                                                           ExpansionBudget& budget, const std::atomic<bool>* cancel) {
  std::unique_ptr<ArchiveReader> r(new ArchiveReader(source, std::move(name), depth, budget, cancel));
  if (depth > budget.limits->max_depth) {
    return Error{r->name_ + ": archive nested " + std::to_string(depth) + " levels deep, over the limit of " +
                 std::to_string(budget.limits->max_depth) + " (--max-depth); not read"};
  }
  r->pool_ = std::make_shared<BlockPool>();
  r->capturing_ = true;
  if (Status opened = r->Begin(/*raw_only=*/false); !opened) return opened.error();
  // A compressed file that starts with NUL bytes (a log after logrotate's copytruncate, then
  // compressed) reads as an empty tar: its zero blocks are a tar's end. What follows them is not
  // looked at by libarchive, so it is opened again as a compressed single file, from the bytes the
  // first opening read (kept for this) and then the rest of the stream.
  if (r->stopped_ && r->first_was_eof_ && !r->captured_.empty() && !r->capture_overflow_) {
    archive_read_free(r->archive_);
    r->archive_ = nullptr;
    r->stopped_ = false;
    r->compression_.clear();
    r->capturing_ = false;
    r->replaying_ = true;
    r->replay_ = 0;
    if (Status opened = r->Begin(/*raw_only=*/true); !opened) return opened.error();
    return r;
  }
  r->capturing_ = false;
  std::string().swap(r->captured_);
  return r;
}

Status ArchiveReader::Begin(bool raw_only) {
  archive_ = archive_read_new();
  if (archive_ == nullptr) return Error{name_ + ": out of memory opening the archive"};
  archive* a = archive_;
  // In-process decoders only: filter_all would run external programs (lrzip, lzop, grzip) on
  // untrusted input and uudecode anything starting with "begin 644".
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_lzma(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_lz4(a);
  archive_read_support_filter_compress(a);
  if (!raw_only) {
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    // Streaming zip: the local headers, no seeking to the central directory (the enclosing stream
    // cannot seek). Zips written by zip(1) from files carry their sizes in the local headers.
    archive_read_support_format_zip_streamable(a);
    archive_read_support_format_cpio(a);
  }
  archive_read_support_format_raw(a);
  archive_read_support_format_empty(a);
  if (archive_read_open(a, this, nullptr, &ArchiveReader::ReadCallback, nullptr) != ARCHIVE_OK) {
    return Error{LibarchiveError(name_ + ": not a readable archive or compressed file")};
  }
  archive_entry* entry = nullptr;
  const int first = archive_read_next_header(a, &entry);
  // Filters from the outermost (the stream's bytes) inwards; gzip_ is outside libarchive's.
  if (gzip_.gzip()) compression_ = "gzip";
  for (int i = archive_filter_count(a) - 1; i >= 0; --i) {
    if (archive_filter_code(a, i) == ARCHIVE_FILTER_NONE) continue;
    const char* n = archive_filter_name(a, i);
    if (!compression_.empty()) compression_ += '+';
    compression_ += n != nullptr ? n : "unknown";
  }
  if (compression_.empty()) compression_ = "none";
  if (first == ARCHIVE_EOF) {
    stopped_ = true;  // an empty archive or an empty compressed file: no member
    first_was_eof_ = true;
    return Ok{};
  }
  if (first < ARCHIVE_WARN) {
    return Error{LibarchiveError(name_ + ": corrupt or truncated " +
                                 (compression_ == "none" ? std::string("archive") : compression_ + " stream"))};
  }
  raw_ = (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAW;
  first_entry_ = entry;  // valid until the next archive_read_next_header: Next() takes it
  return Ok{};
}

std::string ArchiveReader::LibarchiveError(const std::string& what) const {
  std::string why = source_error_;
  if (why.empty() && archive_ != nullptr) {
    const char* s = archive_error_string(archive_);
    why = s != nullptr ? s : "";
  }
  return why.empty() ? what : what + " (" + why + ")";
}

Result<bool> ArchiveReader::Next(ArchiveMember& member) {
  if (stopped_) return false;
  archive_entry* entry = first_entry_;
  first_entry_ = nullptr;
  if (entry == nullptr) {
    const int r = archive_read_next_header(archive_, &entry);
    if (r == ARCHIVE_EOF) {
      stopped_ = true;
      return false;
    }
    if (r < ARCHIVE_WARN) {
      stopped_ = true;
      return Error{LibarchiveError(name_ + ": corrupt or truncated archive")};
    }
  }
  if (++budget_.members > budget_.limits->max_members) {
    stopped_ = true;
    budget_.exhausted = true;
    return Error{name_ + ": more than " + std::to_string(budget_.limits->max_members) + " members in " +
                 budget_.input + " (--max-members); the rest is not read"};
  }
  member = ArchiveMember{};
  const char* path = archive_entry_pathname(entry);
  member.raw_name = path != nullptr ? path : "";
  member.display = raw_ ? name_ : JoinMember(name_, SafeMemberName(member.raw_name));
  const mode_t type = archive_entry_filetype(entry);
  if (raw_) {
    member.regular = true;
  } else if (archive_entry_hardlink(entry) != nullptr) {
    member.not_regular = "hard link";
  } else if (type == AE_IFREG) {
    member.regular = true;
  } else if (type == AE_IFDIR) {
    member.not_regular = "directory";
  } else if (type == AE_IFLNK) {
    member.not_regular = "symbolic link";
  } else {
    member.not_regular = "special file";
  }
  if (!raw_ && archive_entry_size_is_set(entry)) member.size = static_cast<uint64_t>(archive_entry_size(entry));
  if (archive_entry_mtime_is_set(entry)) member.mtime = static_cast<int64_t>(archive_entry_mtime(entry));
  member_display_ = member.display;
  member_size_ = member.size;
  member_read_ = 0;
  pending_ = {};
  hole_ = 0;
  position_ = 0;
  member_done_ = false;
  return true;
}

Status ArchiveReader::CheckLimits(uint64_t upcoming) {
  const InputLimits& l = *budget_.limits;
  if (budget_.expanded + upcoming > l.max_expanded_bytes) {
    stopped_ = true;
    budget_.exhausted = true;
    return Error{member_display_ + ": expands past the limit of " + Bytes(l.max_expanded_bytes) + " for " +
                 budget_.input + " (--max-expanded); the rest of " + budget_.input + " is not read"};
  }
  const uint64_t here = expanded_ + upcoming;
  if (here > l.ratio_floor_bytes && here / std::max<uint64_t>(consumed_, 1) > l.max_ratio) {
    stopped_ = true;
    budget_.exhausted = true;
    return Error{member_display_ + ": " + name_ + " expands more than " + std::to_string(l.max_ratio) + ":1 (" +
                 Bytes(here) + " from " + Bytes(consumed_) + "; --max-ratio); the rest of " + budget_.input +
                 " is not read"};
  }
  return Ok{};
}

// libarchive's archive_read_data copies each block out; this hands out the blocks themselves,
// and fills the holes of sparse members as archive_read_data does (so the two must not be mixed:
// everything here reads through ReadChunk).
Result<SharedBytes> ArchiveReader::ReadChunk(size_t max) {
  if (Cancelled()) return Error{member_display_ + ": interrupted"};
  if (pending_.empty() && hole_ == 0 && !member_done_) {
    const void* data = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    const int r = archive_read_data_block(archive_, &data, &size, &offset);
    if (r == ARCHIVE_EOF) {
      member_done_ = true;
    } else if (r < ARCHIVE_WARN) {
      stopped_ = true;
      return Error{LibarchiveError(member_display_ + ": corrupt or truncated data")};
    } else {
      if (offset < 0 || static_cast<uint64_t>(offset) < position_) {
        stopped_ = true;
        return Error{member_display_ + ": corrupt data (sparse blocks out of order)"};
      }
      hole_ = static_cast<uint64_t>(offset) - position_;
      pending_ = std::string_view(static_cast<const char*>(data), size);
      const uint64_t n = hole_ + size;
      member_read_ += n;
      expanded_ += n;
      budget_.expanded += n;
      if (auto s = CheckLimits(0); !s) return s.error();
    }
  }
  SharedBytes chunk;
  if (hole_ > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>({hole_, max, sizeof kZeros}));
    hole_ -= n;
    position_ += n;
    chunk.bytes = std::string_view(kZeros, n);
    return chunk;
  }
  const size_t n = std::min(max, pending_.size());
  chunk.bytes = pending_.substr(0, n);
  pending_.remove_prefix(n);
  position_ += n;
  const char* begin = block_ ? block_->data() : nullptr;
  if (n > 0 && begin != nullptr && chunk.bytes.data() >= begin && chunk.bytes.data() + n <= begin + block_->size() &&
      pool_->outstanding() <= kMaxSharedBlocks) {
    chunk.owner = block_;
  }
  return chunk;
}

Result<size_t> ArchiveReader::ReadData(char* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    Result<SharedBytes> chunk = ReadChunk(size - done);
    if (!chunk) return chunk.error();
    if (chunk->bytes.empty()) break;
    std::memcpy(buffer + done, chunk->bytes.data(), chunk->bytes.size());
    done += chunk->bytes.size();
  }
  return done;
}

Status ArchiveReader::SkipData() {
  if (raw_) {
    stopped_ = true;  // the one member of a compressed file: nothing follows, nothing to decompress
    return Ok{};
  }
  const uint64_t rest = member_size_ && *member_size_ > member_read_ ? *member_size_ - member_read_ : 0;
  if (budget_.expanded + rest > budget_.limits->max_expanded_bytes) return CheckLimits(rest);
  pending_ = {};
  hole_ = 0;
  member_done_ = true;
  if (archive_read_data_skip(archive_) != ARCHIVE_OK) {
    stopped_ = true;
    return Error{LibarchiveError(member_display_ + ": corrupt or truncated data")};
  }
  member_read_ += rest;
  expanded_ += rest;
  budget_.expanded += rest;
  return CheckLimits(0);
}

}  // namespace ktriage
