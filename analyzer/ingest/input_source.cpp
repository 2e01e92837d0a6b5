// InputSource implementations: files and stdin through libarchive (compression found by content),
// and plain memory.
#include "analyzer/ingest/input_source.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace ktriage {
namespace {

// libarchive's own read-ahead block; large enough that plain files cost one read() per MiB.
constexpr size_t kArchiveBlockBytes = 1 << 20;

std::string SystemError(const std::string& name, int err) {
  return name + ": " + std::strerror(err);
}

// Owns the descriptor (except stdin) and the archive handle: libarchive never closes an fd
// it was given.
class ArchiveInput final : public InputSource {
 public:
  ArchiveInput(int fd, bool owns_fd, bool regular_file, std::string name)
      : fd_(fd), owns_fd_(owns_fd), regular_file_(regular_file), name_(std::move(name)) {}
  ~ArchiveInput() override {
    if (archive_ != nullptr) archive_read_free(archive_);
    if (owns_fd_ && fd_ >= 0) ::close(fd_);
  }
  ArchiveInput(const ArchiveInput&) = delete;
  ArchiveInput& operator=(const ArchiveInput&) = delete;

  // Problems with the content (a corrupt or truncated stream) are kept for Read(), so that
  // every content error reaches the caller the same way, after whatever data came before it.
  Status Open() {
    archive_ = archive_read_new();
    if (archive_ == nullptr) return Error{name_ + ": out of memory opening the input"};
    // Only the compressions logs come in, and only ones libarchive decodes in-process:
    // filter_all would also uudecode a log that starts with "begin 644" and start external
    // programs (lrzip, lzop, grzip) on untrusted input.
    archive_read_support_filter_gzip(archive_);
    archive_read_support_filter_bzip2(archive_);
    archive_read_support_filter_xz(archive_);
    archive_read_support_filter_lzma(archive_);
    archive_read_support_filter_zstd(archive_);
    archive_read_support_filter_lz4(archive_);
    archive_read_support_filter_compress(archive_);
    archive_read_support_format_raw(archive_);
    archive_read_support_format_empty(archive_);
    if (archive_read_open_fd(archive_, fd_, kArchiveBlockBytes) != ARCHIVE_OK) {
      pending_error_ = ContentError();
      return Ok{};
    }
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(archive_, &entry);
    compression_ = DescribeFilters();
    if (compression_ == "none" && r == ARCHIVE_OK && regular_file_) {
      // Plain regular file: read it directly, which saves libarchive's extra copy of every
      // byte (about a tenth of the time per line on raw dmesg). libarchive has read ahead,
      // so restart from offset 0 with pread.
      archive_read_free(archive_);
      archive_ = nullptr;
      direct_ = true;
      return Ok{};
    }
    if (r == ARCHIVE_EOF) {
      at_end_ = true;  // format "empty": a zero-length (possibly compressed) input
    } else if (r < ARCHIVE_WARN) {
      pending_error_ = ContentError();
    }
    return Ok{};
  }

  Result<size_t> Read(char* buffer, size_t size) override {
    if (!pending_error_.empty()) return Error{pending_error_};
    if (at_end_ || size == 0) return size_t{0};
    if (direct_) return ReadDirect(buffer, size);
    la_ssize_t n = archive_read_data(archive_, buffer, size);
    if (n < 0) {
      pending_error_ = ContentError();
      return Error{pending_error_};
    }
    if (n == 0) at_end_ = true;
    return static_cast<size_t>(n);
  }

  const std::string& name() const override { return name_; }
  std::string_view compression() const override { return compression_; }
  uint64_t consumed() const override {
    if (direct_) return static_cast<uint64_t>(offset_);
    const la_int64_t n = archive_ != nullptr ? archive_filter_bytes(archive_, -1) : 0;
    return n > 0 ? static_cast<uint64_t>(n) : 0;
  }

 private:
  Result<size_t> ReadDirect(char* buffer, size_t size) {
    for (;;) {
      ssize_t n = ::pread(fd_, buffer, size, offset_);
      if (n >= 0) {
        offset_ += n;
        if (n == 0) at_end_ = true;
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) {
        pending_error_ = SystemError(name_, errno);
        return Error{pending_error_};
      }
    }
  }

  std::string ContentError() const {
    const char* why = archive_ != nullptr ? archive_error_string(archive_) : nullptr;
    std::string reason = why != nullptr ? why : "unknown read error";
    // libarchive reports a truncated stream as "truncated gzip input", xz as "No progress is
    // possible": say what it means for a person who only sees one line.
    std::string what = compression_ == "none" || compression_.empty()
                           ? "unreadable input"
                           : "corrupt or truncated " + compression_ + " stream";
    return name_ + ": " + what + " (" + reason + ")";
  }

  // Filters from the outermost (the file's bytes) inwards, "none" when there is none.
  std::string DescribeFilters() const {
    std::string out;
    int count = archive_filter_count(archive_);
    for (int i = count - 1; i >= 0; --i) {
      if (archive_filter_code(archive_, i) == ARCHIVE_FILTER_NONE) continue;
      const char* n = archive_filter_name(archive_, i);
      if (!out.empty()) out += '+';
      out += n != nullptr ? n : "unknown";
    }
    return out.empty() ? "none" : out;
  }

  archive* archive_ = nullptr;
  int fd_;
  bool owns_fd_;
  bool regular_file_;
  bool direct_ = false;
  off_t offset_ = 0;
  bool at_end_ = false;
  std::string name_;
  std::string compression_;
  std::string pending_error_;
};

class MemorySource final : public InputSource {
 public:
  MemorySource(std::string_view data, std::string name) : data_(data), name_(std::move(name)) {}

  Result<size_t> Read(char* buffer, size_t size) override {
    size_t n = std::min(size, data_.size() - pos_);
    if (n > 0) std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  const std::string& name() const override { return name_; }
  std::string_view compression() const override { return "none"; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<InputSource>> OpenInputFile(const std::string& path) {
  if (path == "-") {
    // Never read directly: stdin may be a pipe, and libarchive has consumed its first bytes.
    auto source = std::make_unique<ArchiveInput>(STDIN_FILENO, false, false, "<stdin>");
    if (auto s = source->Open(); !s) return s.error();
    return std::unique_ptr<InputSource>(std::move(source));
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{SystemError(path, errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Error{SystemError(path, err)};
  }
  auto source = std::make_unique<ArchiveInput>(fd, true, S_ISREG(st.st_mode), path);
  // open() succeeds on a directory; reading it would fail later with a less clear EISDIR.
  if (S_ISDIR(st.st_mode)) return Error{SystemError(path, EISDIR)};
  if (auto s = source->Open(); !s) return s.error();
  return std::unique_ptr<InputSource>(std::move(source));
}

std::unique_ptr<InputSource> MemoryInput(std::string_view data, std::string name) {
  return std::make_unique<MemorySource>(data, std::move(name));
}

}  // namespace ktriage
