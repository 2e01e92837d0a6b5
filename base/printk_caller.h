// Caller: who printed a kernel log record, from printk's caller id (CONFIG_PRINTK_CALLER): shared
// by the log readers (a "[T123]" prefix) and the dump's printk records.
#pragma once

#include <cstdint>
#include <string>

namespace ktriage {

struct Caller {
  enum class Kind : uint8_t { kNone, kThread, kCpu };
  Kind kind = Kind::kNone;
  uint32_t id = 0;

  bool operator==(const Caller&) const = default;
  bool known() const { return kind != Kind::kNone; }
};

// "T123" / "C1" as printk prints a caller id; "" when unknown.
std::string CallerName(const Caller& caller);

}  // namespace ktriage
