// Vectorised test for control bytes, so that the common clean line skips the per-byte
// clean-up paths (NUL, CR, ANSI escapes, backspace) with one pass instead of one memchr each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ktriage {

inline bool IsControlByte(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return c < 0x20 && c != '\t';
}

// True when [p, p + n) holds a byte below 0x20 other than '\t'.
inline bool HasControlBytes(const char* p, size_t n) {
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i limit = _mm_set1_epi8(0x1F);
    const __m128i tab = _mm_set1_epi8('\t');
    auto test16 = [&](const char* q) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, limit), x);  // x <= 0x1F, unsigned
      return _mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), low)) != 0;
    };
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
      if (test16(p + i)) return true;
    // The tail as one overlapping load rather than a byte loop.
    return i < n && test16(p + n - 16);
  }
#endif
  for (size_t i = 0; i < n; ++i)
    if (IsControlByte(p[i])) return true;
  return false;
}

}  // namespace ktriage
