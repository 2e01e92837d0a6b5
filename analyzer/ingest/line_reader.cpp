// LineReader: memchr-based line splitting over one reusable buffer, so memory stays at
// chunk_bytes + max_line_bytes whatever the input, and the common line costs no allocation.
#include "analyzer/ingest/line_reader.h"

#include <algorithm>
#include <cstring>

#include "analyzer/ingest/control_bytes.h"
#include "analyzer/ingest/line_decoder.h"

namespace ktriage {
namespace {

constexpr size_t kMinChunkBytes = 4096;

// First '\n' or '\r' in [p, end), or nullptr. '\r' is looked for only before the '\n', and
// only when the line has control bytes at all, so a clean "\n"-only line costs one memchr.
const char* FindTerminator(const char* p, const char* end, bool& has_control) {
  const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
  const char* limit = nl != nullptr ? nl : end;
  has_control = HasControlBytes(p, static_cast<size_t>(limit - p));
  if (!has_control) return nl;
  const char* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(limit - p)));
  return cr != nullptr ? cr : nl;
}

}  // namespace

LineReader::LineReader(InputSource& source, LineReaderOptions options)
    : source_(source), options_(options), decoder_(std::make_unique<LineDecoder>()) {
  options_.max_line_bytes = std::max<size_t>(options_.max_line_bytes, 1);
  options_.chunk_bytes = std::max(options_.chunk_bytes, kMinChunkBytes);
  // One byte more than a maximal line plus a chunk: "longer than max" is then decidable
  // without ever growing the buffer.
  buffer_size_ = options_.chunk_bytes + options_.max_line_bytes + 1;
  buffer_ = std::make_unique_for_overwrite<char[]>(buffer_size_);
}

LineReader::~LineReader() = default;

LogFormat LineReader::dominant_format() const {
  const uint64_t* counts = format_counts_;
  if (std::all_of(std::begin(format_counts_), std::end(format_counts_), [](uint64_t c) { return c == 0; }))
    counts = all_format_counts_;
  size_t best = 0;
  for (size_t i = 1; i < 16; ++i)
    if (counts[i] > counts[best]) best = i;
  return static_cast<LogFormat>(best);
}

Result<bool> LineReader::Next(LogLine& line) {
  char* const buf = buffer_.get();
  for (;;) {
    // Between lines: drop the "\n" of a "\r\n" split across reads, carriage returns at the start
    // of a line ("\n\r" consoles), and NUL runs (the zero-filled tail a crash leaves in a log
    // file) so that the line after them still parses.
    if (!skipping_long_line_) {
      while (pos_ < end_) {
        char c = buf[pos_];
        if (c == '\r') {
          ++pos_;
        } else if (c == '\0') {
          ++stats_.nul_bytes;
          ++pos_;
        } else if (c == '\n' && cr_pending_) {
          cr_pending_ = false;
          ++pos_;
        } else {
          cr_pending_ = false;
          break;
        }
      }
    }

    const size_t start = pos_;
    const char* begin = buf + start;
    const char* end = buf + end_;
    bool has_control = false;
    const char* term = pos_ < end_ ? FindTerminator(begin, end, has_control) : nullptr;

    if (skipping_long_line_) {
      if (term == nullptr) {
        pos_ = end_;
      } else {
        pos_ = static_cast<size_t>(term - buf) + 1;
        cr_pending_ = *term == '\r';
        skipping_long_line_ = false;
        continue;
      }
    } else if (term != nullptr || (eof_ && pos_ < end_) ||
               end_ - pos_ > options_.max_line_bytes) {
      size_t len;
      if (term != nullptr) {
        len = static_cast<size_t>(term - begin);
        pos_ = static_cast<size_t>(term - buf) + 1;
        cr_pending_ = *term == '\r';
      } else if (eof_) {
        len = end_ - pos_;
        pos_ = end_;
      } else {
        // No terminator within max_line_bytes: cut, and skip the rest of the physical line.
        len = end_ - pos_;
        pos_ = end_;
        skipping_long_line_ = true;
      }
      if (len > options_.max_line_bytes) {
        len = options_.max_line_bytes;
        ++stats_.truncated_lines;
      }
      char* text = buf + start;
      for (char* z = has_control ? static_cast<char*>(std::memchr(text, '\0', len)) : nullptr; z != nullptr;
           z = static_cast<char*>(std::memchr(z, '\0', static_cast<size_t>(text + len - z)))) {
        *z = ' ';
        ++stats_.nul_bytes;
      }
      ++stats_.lines;
      line = decoder_->Decode(std::string_view(text, len), stats_.lines, has_control);
      auto f = static_cast<size_t>(line.format) & 15;
      ++all_format_counts_[f];
      if (line.kernel) {
        ++stats_.kernel_lines;
        ++format_counts_[f];
      }
      return true;
    }

    // Need more bytes: keep the partial line, read behind it.
    if (eof_) {
      if (pending_error_) return *pending_error_;
      return false;
    }
    if (pos_ > 0) {
      std::memmove(buf, buf + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    size_t want = std::min(options_.chunk_bytes, buffer_size_ - end_);
    Result<size_t> n = source_.Read(buf + end_, want);
    if (!n) {
      // Deliver what came before the error first (including a partial last line).
      pending_error_ = n.error();
      eof_ = true;
    } else if (*n == 0) {
      eof_ = true;
    } else {
      end_ += *n;
      stats_.bytes += *n;
    }
  }
}

}  // namespace ktriage
