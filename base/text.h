// Allocation-free helpers over std::string_view used by every parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ktriage {

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string_view TrimLeft(std::string_view s);
std::string_view TrimRight(std::string_view s);
std::string_view Trim(std::string_view s);

// Parses the whole of `s` as an unsigned number; nullopt on empty, junk or overflow.
std::optional<uint64_t> ParseDecimal(std::string_view s);
// Accepts an optional 0x prefix.
std::optional<uint64_t> ParseHex(std::string_view s);

// Consumes a leading decimal number from `s`; nullopt (and `s` untouched) if none.
std::optional<uint64_t> ConsumeDecimal(std::string_view& s);
bool ConsumePrefix(std::string_view& s, std::string_view prefix);

// "0x27c": lowercase hex with a 0x prefix, no padding, the way the kernel prints addresses.
std::string HexString(uint64_t value);

// Replaces bytes that are not valid UTF-8 with U+FFFD so that every string we emit is valid.
std::string SanitizeUtf8(std::string_view s);

}  // namespace ktriage
