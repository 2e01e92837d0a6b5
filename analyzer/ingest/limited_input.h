// LimitedInput: the decompressed bytes of a compressed input under the limits of InputLimits, so
// that a decompression bomb is one failed input, not a run that fills the disk or never ends.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "analyzer/ingest/input_limits.h"
#include "analyzer/ingest/input_source.h"

namespace ktriage {

class LimitedInput final : public InputSource {
 public:
  // `cancel`: when set, every read fails with "interrupted" (Ctrl-C).
  LimitedInput(InputSource& inner, const InputLimits& limits, const std::atomic<bool>* cancel = nullptr)
      : inner_(inner), limits_(limits), cancel_(cancel) {}
  // Errors past a limit name the input, the size and the option (--max-expanded, --max-ratio).
  // The ratio is the running one, expanded bytes over the compressed bytes read so far, so that a
  // stream of many small frames of zeros (each a bomb, the whole file small) is caught at the first
  // of them, not after expanding to the whole file's size times the ratio.
  Result<size_t> Read(char* buffer, size_t size) override;
  const std::string& name() const override { return inner_.name(); }
  std::string_view compression() const override { return inner_.compression(); }
  uint64_t consumed() const override { return inner_.consumed(); }

 private:
  InputSource& inner_;
  const InputLimits& limits_;
  const std::atomic<bool>* cancel_;
  uint64_t read_ = 0;
};

}  // namespace ktriage
