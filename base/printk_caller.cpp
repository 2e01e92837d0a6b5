// CallerName.
#include "base/printk_caller.h"

namespace ktriage {

std::string CallerName(const Caller& caller) {
  switch (caller.kind) {
    case Caller::Kind::kThread: return "T" + std::to_string(caller.id);
    case Caller::Kind::kCpu: return "C" + std::to_string(caller.id);
    case Caller::Kind::kNone: break;
  }
  return "";
}

}  // namespace ktriage
