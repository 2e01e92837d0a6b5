// ShardOf: FNV-1a over the shard key.
#include "analyzer/triage/shard.h"

#include <charconv>

#include "analyzer/triage/input_kind.h"

namespace ktriage::triage {

Result<ShardSpec> ParseShard(const std::string& text) {
  const size_t slash = text.find('/');
  auto bad = [&] { return Error{"invalid --shard '" + text + "' (expected I/N with 1 <= I <= N, e.g. 2/8)"}; };
  if (slash == std::string::npos) return bad();
  ShardSpec s;
  const char* begin = text.data();
  const char* mid = begin + slash;
  const char* end = begin + text.size();
  auto [p1, e1] = std::from_chars(begin, mid, s.index);
  auto [p2, e2] = std::from_chars(mid + 1, end, s.count);
  if (e1 != std::errc() || p1 != mid || e2 != std::errc() || p2 != end) return bad();
  if (s.count == 0 || s.index == 0 || s.index > s.count) return bad();
  return s;
}

std::string ShardKey(std::string_view name) {
  const KdumpPart part = KdumpPartOf(name);
  if (part.role != KdumpRole::kNone) return "kdump:" + part.key;
  return std::string(name);
}

uint32_t ShardOf(std::string_view name, uint32_t count) {
  if (count <= 1) return 1;
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : ShardKey(name)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<uint32_t>(h % count) + 1;
}

}  // namespace ktriage::triage
