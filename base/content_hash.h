// ContentHash: a fast fingerprint of an input's bytes (as stored on disk), for the history's
// "unchanged since the last run" test.
#pragma once

#include <atomic>
#include <string>

#include "base/result.h"

namespace ktriage {

// "xxh3-128:<32 hex digits>" of the whole file read through `fd` from offset 0 (pread: the
// descriptor's offset is left alone). XXH3 runs at memory speed, so this costs about one read of
// the file from the page cache. Stops with an error when `cancel` becomes true.
Result<std::string> HashFileContents(int fd, const std::string& name, const std::atomic<bool>* cancel);

}  // namespace ktriage
