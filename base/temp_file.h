// Unlinked temp files (O_TMPFILE): nothing is left behind in TMPDIR even when ktriage is killed.
#pragma once

#include <string>

#include "base/scoped_fd.h"
#include "base/result.h"

namespace ktriage {

// A new read-write file in `dir` that has no name (O_TMPFILE; where the file system lacks it,
// mkstemp + unlink at once, as analyzer/vmcore/flattened_dump.cpp does). `what` says what it is for.
Result<ScopedFd> CreateUnlinkedTempFile(const std::string& dir, const std::string& what);

// Writes all of `data` at the file's current offset.
Status WriteAll(int fd, const char* data, size_t size);

}  // namespace ktriage
