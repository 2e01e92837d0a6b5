// InlinedCall: one function inlined into a frame's function, as debuginfo tells it; shared by
// the frames of log reports and the CPUs of a dump, and written the same way by every output.
#pragma once

#include <string>

namespace ktriage {

struct InlinedCall {
  std::string function;  // "skb_tx_hash"
  std::string source;    // "net/core/dev.c:3288": the line inside `function`

  bool operator==(const InlinedCall&) const = default;
};

}  // namespace ktriage
