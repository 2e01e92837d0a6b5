// FormatTime, FormatDay.
#include "base/utc_time.h"

#include <ctime>

namespace ktriage {

std::string FormatTime(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

std::string FormatDay(int64_t seconds) { return FormatTime(seconds).substr(0, 10); }

}  // namespace ktriage
