// MemoryReader helpers: fixed-width little-endian loads and bounded C strings on top of the one
// virtual ReadVirtual, so every reader of dump memory shares the same bounds-checked path.
#include "analyzer/vmcore/memory_reader.h"

#include "analyzer/vmcore/region_reader.h"
#include "base/text.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace ktriage {
namespace {

// Assembles the integer byte by byte so the result does not depend on the host's byte order.
template <typename T>
Result<T> ReadLittleEndian(MemoryReader& memory, uint64_t address) {
  std::array<uint8_t, sizeof(T)> bytes{};
  Status status = memory.ReadVirtual(address, bytes.data(), bytes.size());
  if (!status.ok()) return status.error();
  T value = 0;
  for (size_t i = sizeof(T); i-- > 0;) value = static_cast<T>((value << 8) | bytes[i]);
  return value;
}

}  // namespace

Result<uint64_t> MemoryReader::ReadU64(uint64_t address) { return ReadLittleEndian<uint64_t>(*this, address); }
Result<uint32_t> MemoryReader::ReadU32(uint64_t address) { return ReadLittleEndian<uint32_t>(*this, address); }
Result<uint16_t> MemoryReader::ReadU16(uint64_t address) { return ReadLittleEndian<uint16_t>(*this, address); }
Result<uint8_t> MemoryReader::ReadU8(uint64_t address) { return ReadLittleEndian<uint8_t>(*this, address); }

Result<std::string> MemoryReader::ReadCString(uint64_t address, size_t max) {
  // Read in pieces that never cross a 4 KiB boundary: a short string that ends just before an
  // unmapped (or filtered-out) page must still be readable, so we never ask for bytes past the page
  // holding the terminator.
  constexpr uint64_t kPage = 4096;
  std::string out;
  std::array<char, kPage> chunk{};
  while (out.size() < max) {
    const uint64_t at = address + out.size();
    if (at < address) return Error{"string at " + HexString(address) + " wraps around the address space"};
    const size_t want = static_cast<size_t>(std::min<uint64_t>(max - out.size(), kPage - at % kPage));
    Status status = ReadVirtual(at, chunk.data(), want);
    if (!status.ok()) {
      // Readers with a finer grain than pages (fakes, sparse regions) may hold the string but not
      // the whole piece: go on byte by byte, and fail only at the first byte that is missing.
      for (size_t i = 0; i < want; ++i) {
        char c = 0;
        Status byte = ReadVirtual(at + i, &c, 1);
        if (!byte.ok()) return byte.error();
        if (c == '\0') return out;
        out += c;
      }
      continue;
    }
    const void* nul = std::memchr(chunk.data(), '\0', want);
    if (nul != nullptr) {
      out.append(chunk.data(), static_cast<size_t>(static_cast<const char*>(nul) - chunk.data()));
      return out;
    }
    out.append(chunk.data(), want);
  }
  return out;
}

}  // namespace ktriage
