// LimitedInput::Read.
#include "analyzer/ingest/limited_input.h"

#include <algorithm>

namespace ktriage {

Result<size_t> LimitedInput::Read(char* buffer, size_t size) {
  if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) return Error{inner_.name() + ": interrupted"};
  Result<size_t> got = inner_.Read(buffer, size);
  if (!got || inner_.compression() == "none") return got;
  read_ += *got;
  if (read_ > limits_.max_expanded_bytes) {
    return Error{inner_.name() + ": expands past the limit of " + std::to_string(limits_.max_expanded_bytes) +
                 " bytes (--max-expanded); the rest is not read"};
  }
  const uint64_t compressed = std::max<uint64_t>(inner_.consumed(), 1);
  if (read_ > limits_.ratio_floor_bytes && read_ / compressed > limits_.max_ratio) {
    return Error{inner_.name() + ": expands more than " + std::to_string(limits_.max_ratio) + ":1 (" +
                 std::to_string(read_) + " bytes from " + std::to_string(compressed) +
                 " compressed bytes read so far; --max-ratio); the rest is not read"};
  }
  return got;
}

}  // namespace ktriage
