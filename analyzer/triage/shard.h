// --shard I/N: which inputs one of N independent triage jobs reads. The unit is a leaf input (a
// log or dump file, an archive member), keyed by its display name, except that both parts of a
// kdump crash are keyed by their directory and stamp so that they always land in one shard.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ktriage::triage {

struct ShardSpec {
  uint32_t index = 1;  // 1-based
  uint32_t count = 1;  // 1: no sharding
};

// "I/N" with 1 <= I <= N.
Result<ShardSpec> ParseShard(const std::string& text);

// The key that decides the shard of an input named `name` (`a.tar.gz!dir/kern.log`).
std::string ShardKey(std::string_view name);

// FNV-1a 64 of ShardKey(name), modulo count, plus one: stable across machines and versions.
uint32_t ShardOf(std::string_view name, uint32_t count);

inline bool InShard(std::string_view name, const ShardSpec& shard) {
  return shard.count <= 1 || ShardOf(name, shard.count) == shard.index;
}

}  // namespace ktriage::triage
