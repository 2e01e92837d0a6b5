// SpillBuffer: memory first, then an O_TMPFILE.
#include "base/spill_buffer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/temp_file.h"

namespace ktriage {

void SpillBuffer::Append(std::string_view text) {
  memory_.append(text);
  if (limit_ == 0 || memory_.size() <= limit_ || !error_.empty()) return;
  if (!file_.valid()) {
    auto fd = CreateUnlinkedTempFile(temp_dir_, "JSON Lines waiting for their turn");
    if (!fd) {
      error_ = fd.error().message;
      return;
    }
    file_ = std::move(*fd);
  }
  if (auto s = WriteAll(file_.get(), memory_.data(), memory_.size()); !s) {
    error_ = s.error().message;
    return;
  }
  spilled_ += memory_.size();
  memory_.clear();
  memory_.shrink_to_fit();
}

Status SpillBuffer::ForEachChunk(const std::function<void(std::string_view)>& f) const {
  if (spilled_ > 0) {
    constexpr size_t kChunk = 1 << 20;
    std::unique_ptr<char[]> buffer(new char[kChunk]);
    off_t offset = 0;
    while (static_cast<uint64_t>(offset) < spilled_) {
      const ssize_t got = ::pread(file_.get(), buffer.get(), kChunk, offset);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Error{std::string("reading back a temp file: ") + (got < 0 ? std::strerror(errno) : "short")};
      f(std::string_view(buffer.get(), static_cast<size_t>(got)));
      offset += got;
    }
  }
  if (!memory_.empty()) f(memory_);
  return Ok{};
}

Status SpillBuffer::CopyTo(std::ostream& out) {
  if (spilled_ > 0) {
    constexpr size_t kChunk = 1 << 20;
    std::unique_ptr<char[]> buffer(new char[kChunk]);
    off_t offset = 0;
    while (static_cast<uint64_t>(offset) < spilled_) {
      const ssize_t got = ::pread(file_.get(), buffer.get(), kChunk, offset);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Error{std::string("reading back a temp file: ") + (got < 0 ? std::strerror(errno) : "short")};
      out.write(buffer.get(), got);
      offset += got;
    }
  }
  out.write(memory_.data(), static_cast<std::streamsize>(memory_.size()));
  return Ok{};
}

}  // namespace ktriage
