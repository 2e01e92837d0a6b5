// LineReader: splits an InputSource into decoded LogLines with bounded memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "analyzer/ingest/input_source.h"
#include "analyzer/ingest/log_line.h"
#include "base/result.h"

namespace ktriage {

struct LineReaderOptions {
  // Lines longer than this are cut (the rest of the physical line is skipped and counted);
  // a log with megabyte lines must not cost megabytes per line.
  size_t max_line_bytes = 64 * 1024;
  // Read buffer size.
  size_t chunk_bytes = 1 << 20;
};

struct LineReaderStats {
  uint64_t bytes = 0;           // decompressed bytes read
  uint64_t lines = 0;           // physical lines
  uint64_t kernel_lines = 0;    // lines with kernel == true
  uint64_t truncated_lines = 0; // lines longer than max_line_bytes
  uint64_t nul_bytes = 0;       // NUL bytes seen (replaced)
};

class LineDecoder;

class LineReader {
 public:
  LineReader(InputSource& source, LineReaderOptions options = {});
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Reads the next line. Returns false at end of input, or a read error (after which the
  // lines already returned stay valid results).
  Result<bool> Next(LogLine& line);

  const LineReaderStats& stats() const { return stats_; }
  // The format most lines had so far (for the "format" field of the output).
  LogFormat dominant_format() const;

 private:
  InputSource& source_;
  LineReaderOptions options_;
  LineReaderStats stats_;
  std::unique_ptr<LineDecoder> decoder_;
  // Not a std::string: resizing one zero-fills it, and the 1 MiB this reader holds cost more
  // than the whole analysis of a small input (an archive of a million tiny logs).
  std::unique_ptr<char[]> buffer_;
  size_t buffer_size_ = 0;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool skipping_long_line_ = false;
  uint64_t format_counts_[16] = {};
  // Added: a "\r" ended the last line and a "\n" may follow it in the next chunk.
  bool cr_pending_ = false;
  // A read error is held back until the lines decoded before it have been returned.
  std::optional<Error> pending_error_;
  // format_counts_ counts kernel lines; this counts all, for inputs with no kernel line.
  uint64_t all_format_counts_[16] = {};
};

}  // namespace ktriage
