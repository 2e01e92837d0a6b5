// Fuzz target: bytes as one input file handed to the batch walker: sniffing, libarchive's readers
// and decompressors (tar, cpio, zip, gzip, xz, zstd...), archives inside archives, the member
// name checks and the expansion limits, which are set small here so that a bomb is cut early.
// The file is a memfd: the walker opens inputs by path, as `ktriage triage` does.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "analyzer/triage/input_walker.h"

namespace {

using namespace ktriage;
using namespace ktriage::triage;

class DrainingSink final : public WalkSink {
 public:
  void Submit(WorkItem item) override {
    if (item.seq != 0) std::abort();  // the sink numbers items, not the walker
    ++items;
  }
  bool Unchanged(const UnitInfo&) override { return false; }
  void ReserveBuffer(uint64_t) override {}
  // A member too large to buffer: read to its end, as the analysis would.
  std::unique_ptr<ItemOutcome> AnalyzeInline(const WorkItem& meta, InputSource& source) override {
    auto outcome = std::make_unique<ItemOutcome>();
    outcome->name = meta.name;
    char buffer[4096];
    for (;;) {
      Result<size_t> got = source.Read(buffer, sizeof buffer);
      if (!got) {
        outcome->status = OutcomeStatus::kFailed;
        outcome->errors.push_back(got.error().message);
        break;
      }
      if (*got == 0) break;
      outcome->bytes += *got;
    }
    return outcome;
  }
  uint64_t items = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ScopedFd fd(::memfd_create("fuzz-input", MFD_CLOEXEC));
  if (!fd.valid()) return 0;
  size_t done = 0;
  while (done < size) {
    const ssize_t put = ::write(fd.get(), data + done, size - done);
    if (put <= 0) return 0;
    done += static_cast<size_t>(put);
  }
  InputLimits limits;
  limits.max_expanded_bytes = 32 << 20;
  limits.ratio_floor_bytes = 1 << 20;
  limits.max_members = 2000;
  limits.member_buffer_bytes = 64 << 10;
  limits.buffer_budget_bytes = 1 << 20;
  WalkOptions options;
  options.limits = &limits;
  options.temp_dir = "/tmp";
  options.hash_inputs = true;
  DrainingSink sink;
  WalkInputs({"/proc/self/fd/" + std::to_string(fd.get())}, options, sink);
  if (sink.items == 0) std::abort();  // every input ends in at least one item
  return 0;
}
