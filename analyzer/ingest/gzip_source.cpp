// GzipSource: igzip's streaming inflate over an input buffer refilled from the inner source;
// members follow one another (as `cat a.gz b.gz` makes) until the inner source ends.
#include "analyzer/ingest/gzip_source.h"

#include <isa-l/igzip_lib.h>

#include <cstring>

namespace ktriage {
namespace {

constexpr size_t kInputBytes = 256 * 1024;

bool GzipMagic(const unsigned char* p, size_t n) { return n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8; }

const char* InflateError(int code) {
  switch (code) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM: return "CRC mismatch";
    default: return "inflate error";
  }
}

}  // namespace

GzipSource::GzipSource(InputSource& inner) : inner_(inner), state_(std::make_unique<inflate_state>()), in_(kInputBytes) {}

GzipSource::~GzipSource() = default;

std::string_view GzipSource::compression() const { return mode_ == Mode::kGzip ? "gzip" : inner_.compression(); }

Result<bool> GzipSource::Refill() {
  if (inner_done_) return false;
  if (in_begin_ == 0 && in_end_ == in_.size()) return true;  // full of unread bytes already
  // Keep the unread bytes (a member's start, when looking for the next magic).
  if (in_begin_ > 0) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  Result<size_t> got = inner_.Read(reinterpret_cast<char*>(in_.data() + in_end_), in_.size() - in_end_);
  if (!got) return got.error();
  if (*got == 0) {
    inner_done_ = true;
    return false;
  }
  in_end_ += *got;
  consumed_ += *got;
  return true;
}

Result<size_t> GzipSource::Read(char* buffer, size_t size) {
  if (mode_ == Mode::kUnknown) {
    while (in_end_ < 3) {
      Result<bool> more = Refill();
      if (!more) return more.error();
      if (!*more) break;
    }
    mode_ = GzipMagic(in_.data(), in_end_) ? Mode::kGzip : Mode::kPassThrough;
    if (mode_ == Mode::kGzip) {
      isal_inflate_init(state_.get());
      state_->crc_flag = ISAL_GZIP;
    }
  }
  if (mode_ == Mode::kGzip) return Inflate(buffer, size);
  if (in_begin_ < in_end_) {  // what the sniffing read
    const size_t n = std::min(size, in_end_ - in_begin_);
    std::memcpy(buffer, in_.data() + in_begin_, n);
    in_begin_ += n;
    return n;
  }
  Result<size_t> got = inner_.Read(buffer, size);
  if (got) consumed_ += *got;
  return got;
}

Result<size_t> GzipSource::Inflate(char* buffer, size_t size) {
  inflate_state& s = *state_;
  while (!finished_) {
    if (s.block_state == ISAL_BLOCK_FINISH) {
      // A member ended: another follows only if gzip's magic does; anything else (tape padding,
      // garbage) ends the stream, as gzip(1) treats trailing data.
      while (in_end_ - in_begin_ < 3) {
        Result<bool> more = Refill();
        if (!more) return more.error();
        if (!*more) break;
      }
      if (!GzipMagic(in_.data() + in_begin_, in_end_ - in_begin_)) {
        finished_ = true;
        break;
      }
      isal_inflate_reset(&s);
      s.crc_flag = ISAL_GZIP;
    }
    if (in_begin_ == in_end_) {
      Result<bool> more = Refill();
      if (!more) return more.error();
      if (!*more) return Error{name() + ": truncated gzip stream"};
    }
    s.next_in = in_.data() + in_begin_;
    s.avail_in = static_cast<uint32_t>(in_end_ - in_begin_);
    s.next_out = reinterpret_cast<uint8_t*>(buffer);
    s.avail_out = static_cast<uint32_t>(std::min<size_t>(size, UINT32_MAX));
    const int rc = isal_inflate(&s);
    in_begin_ = static_cast<size_t>(s.next_in - in_.data());
    if (rc < 0) return Error{name() + ": corrupt gzip data (" + InflateError(rc) + ")"};
    const size_t produced = static_cast<size_t>(reinterpret_cast<char*>(s.next_out) - buffer);
    if (produced > 0) return produced;
  }
  return size_t{0};
}

}  // namespace ktriage
