// GzipSource: inflates a gzip stream (every member of it) with ISA-L's igzip, which decodes
// about three times faster than zlib: in a fleet's .tar.gz the decoder is the one serial stage.
// A stream that does not start with gzip's magic passes through unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/ingest/input_source.h"

struct inflate_state;

namespace ktriage {

class GzipSource final : public InputSource {
 public:
  explicit GzipSource(InputSource& inner);
  ~GzipSource() override;
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  // Errors name the inner source: "NAME: truncated gzip stream", "NAME: corrupt gzip data (...)".
  Result<size_t> Read(char* buffer, size_t size) override;
  const std::string& name() const override { return inner_.name(); }
  // "gzip" once the first Read found the magic; else the inner source's.
  std::string_view compression() const override;

  // Whether the stream is gzip; known after the first Read.
  bool gzip() const { return mode_ == Mode::kGzip; }
  // Bytes taken from the inner source so far (compressed bytes, for expansion ratios).
  uint64_t consumed() const override { return consumed_; }

 private:
  enum class Mode { kUnknown, kGzip, kPassThrough };
  Result<bool> Refill();  // false at the inner source's end
  Result<size_t> Inflate(char* buffer, size_t size);

  InputSource& inner_;
  Mode mode_ = Mode::kUnknown;
  std::unique_ptr<inflate_state> state_;
  std::vector<unsigned char> in_;
  size_t in_begin_ = 0, in_end_ = 0;  // unread input: in_[in_begin_, in_end_)
  bool inner_done_ = false;
  bool finished_ = false;              // the last member ended
  uint64_t consumed_ = 0;
};

}  // namespace ktriage
