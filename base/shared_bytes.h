// SharedBytes: bytes and what keeps them alive. An archive member read whole from one of the
// walker's decompressed blocks is a slice of that block, shared with the other members in it, so
// it reaches its worker without a copy; any other member owns a copy of its bytes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace ktriage {

struct SharedBytes {
  // Null: `bytes` are borrowed, valid only until their source reads on (ArchiveReader::ReadChunk
  // outside the walker's own blocks); a WorkItem's always have an owner, or are empty.
  std::shared_ptr<const void> owner;
  std::string_view bytes;

  static SharedBytes Own(std::string s) {
    auto kept = std::make_shared<const std::string>(std::move(s));
    return SharedBytes{kept, *kept};
  }
};

}  // namespace ktriage
