// MergeHistories: one new history database from the shards' databases (`ktriage merge --db`),
// as if one unsharded run had made it: inputs with their counts summed over the shards,
// sightings, skips and errors of every shard, signatures with their counts summed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace ktriage::history {

// `out` must not exist. A top-level input is kept only when every shard finished it (each shard
// walks every top-level input, reading only its own leaves), so the next run reads the others
// again. A signature's first run is the merge's run when every shard that saw it first saw it
// in its last run, else an earlier one; the merged database has that one run.
Status MergeHistories(const std::vector<std::string>& shards, const std::string& out, int64_t now);

}  // namespace ktriage::history
