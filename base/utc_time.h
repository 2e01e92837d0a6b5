// Times as the summaries and the history print them: UTC, to the second or the day.
#pragma once

#include <cstdint>
#include <string>

namespace ktriage {

// "2026-11-22 10:00:00Z"; the number itself when it is no time gmtime can express.
std::string FormatTime(int64_t seconds);
// "2026-11-22".
std::string FormatDay(int64_t seconds);

}  // namespace ktriage
