// InputLimits: what one input may cost, so that a decompression bomb or a hostile archive is one
// failed input and not a failed run. Every field is a --max-* option of `ktriage triage`.
#pragma once

#include <cstdint>

namespace ktriage {

struct InputLimits {
  // Bytes one top-level input (a file named on the command line or found in a directory) may
  // expand to, every nesting level counted: members read and members skipped (by their declared
  // size). Large enough for crash dumps inside archives.
  uint64_t max_expanded_bytes = uint64_t{64} << 30;  // --max-expanded, 64 GiB
  // Expanded bytes over compressed bytes of one archive or compressed file, checked once it has
  // expanded past ratio_floor_bytes (small files of zeros compress 1000:1 and are harmless).
  // Logs compress 5-20:1 with xz, mostly-empty ELF dumps a few hundred to one.
  uint64_t max_ratio = 1000;                        // --max-ratio
  uint64_t ratio_floor_bytes = uint64_t{64} << 20;  // 64 MiB
  uint64_t max_members = 1'000'000;                 // --max-members: archive entries per top-level input
  int max_depth = 4;                                // --max-depth: archives inside archives, the outermost is 1
  // Members up to this size are read into memory and handed to a worker; larger ones are analysed
  // by the walking thread itself as they stream out of the archive.
  uint64_t member_buffer_bytes = uint64_t{8} << 20;
  // All members held in memory for workers at once (the walker waits when it is used up).
  uint64_t buffer_budget_bytes = uint64_t{64} << 20;
};

}  // namespace ktriage
