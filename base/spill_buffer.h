// SpillBuffer: the JSON Lines of one input, kept until the reducing thread writes them in walk
// order. Held in memory up to a limit, then in an unlinked temp file, so that an input with a
// hundred thousand reports does not cost its JSON in RAM while it waits for its turn.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include "base/scoped_fd.h"
#include "base/result.h"

namespace ktriage {

class SpillBuffer {
 public:
  SpillBuffer() = default;
  SpillBuffer(std::string temp_dir, size_t memory_limit) : temp_dir_(std::move(temp_dir)), limit_(memory_limit) {}
  SpillBuffer(SpillBuffer&&) = default;
  SpillBuffer& operator=(SpillBuffer&&) = default;

  // Appends `text`. A temp file that cannot be written keeps the rest in memory (and says so in
  // error()): output is never lost for want of disk.
  void Append(std::string_view text);
  // Everything appended, in order.
  Status CopyTo(std::ostream& out);
  // The same, a chunk at a time (of any size: a record may straddle two).
  Status ForEachChunk(const std::function<void(std::string_view)>& f) const;
  bool empty() const { return memory_.empty() && spilled_ == 0; }
  const std::string& error() const { return error_; }

 private:
  std::string temp_dir_;
  size_t limit_ = 0;
  std::string memory_;
  ScopedFd file_;
  uint64_t spilled_ = 0;
  std::string error_;
};

}  // namespace ktriage
