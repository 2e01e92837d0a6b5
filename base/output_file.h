// OutputFile: a file ktriage writes (JSON Lines, an HTML page, a merged summary), written whole or
// not at all: into an unlinked temp file beside it, renamed over it only when complete, so that a
// kill at any point leaves either the old file or the new one, never half of one. A path that is
// not a regular file (a terminal, /dev/stdout, a FIFO) is written in place.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "base/result.h"

namespace ktriage {

class OutputFile {
 public:
  // Errors name the path: its directory cannot hold a new file, or it is a directory.
  static Result<std::unique_ptr<OutputFile>> Create(const std::string& path);
  ~OutputFile();  // not committed: the temp file vanishes, the path keeps what it had
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::ostream& stream();
  const std::string& path() const { return path_; }
  // Flushes, checks every write, and puts the file in place. Errors name the path and the reason
  // ("No space left on device").
  Status Commit();

 private:
  OutputFile() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

// Refuses outputs that would destroy what is read or each other: an output that is one of the
// inputs, or is another output (device and inode of what exists, links followed; the resolved
// path of what does not exist yet). `what` names each output's option ("--output", "--html").
// Special files (/dev/stdout, /dev/null) are never refused. An output inside an input directory
// is allowed: the walker skips it (triage's own outputs).
Status CheckOutputs(const std::vector<std::pair<std::string, std::string>>& outputs,
                    const std::vector<std::string>& inputs);

}  // namespace ktriage
