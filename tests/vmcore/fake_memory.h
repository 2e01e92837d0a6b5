// FakeMemory: an in-memory MemoryReader (mapped regions of bytes, errors for anything else) to
// build small synthetic dumps in tests, and to count how the readers under test read memory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/vmcore/memory_reader.h"

namespace ktriage::testing {

class FakeMemory final : public MemoryReader {
 public:
  // Maps `size` zero bytes at `address`. Regions must not overlap; a read must lie inside one.
  void Map(uint64_t address, size_t size) { regions_[address].assign(size, 0); }
  void Unmap(uint64_t address) { regions_.erase(address); }

  Status ReadVirtual(uint64_t address, void* buffer, size_t size) override {
    ++reads_;
    if (size > largest_read_) largest_read_ = size;
    const std::vector<uint8_t>* region = Find(address, size);
    if (region == nullptr) return Error{"address " + Hex(address) + " (+" + std::to_string(size) + ") is not mapped"};
    if (size > 0) std::memcpy(buffer, region->data() + (address - Start(address)), size);
    bytes_read_ += size;
    return Ok{};
  }

  // Writers for building a dump; the address must be mapped (the test is wrong otherwise).
  void Bytes(uint64_t address, const void* data, size_t size) {
    std::vector<uint8_t>* region = Find(address, size);
    if (region == nullptr) throw std::out_of_range("FakeMemory: write outside the mapped regions at " + Hex(address));
    if (size > 0) std::memcpy(region->data() + (address - Start(address)), data, size);
  }
  void Text(uint64_t address, std::string_view text) { Bytes(address, text.data(), text.size()); }
  void U64(uint64_t address, uint64_t v) { Le(address, v, 8); }
  void U32(uint64_t address, uint32_t v) { Le(address, v, 4); }
  void U16(uint64_t address, uint16_t v) { Le(address, v, 2); }
  void U8(uint64_t address, uint8_t v) { Le(address, v, 1); }
  uint8_t Byte(uint64_t address) const {
    const std::vector<uint8_t>* region = Find(address, 1);
    return region == nullptr ? 0 : (*region)[address - Start(address)];
  }

  size_t reads() const { return reads_; }
  uint64_t bytes_read() const { return bytes_read_; }
  size_t largest_read() const { return largest_read_; }

 private:
  static std::string Hex(uint64_t v) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(v));
    return text;
  }
  void Le(uint64_t address, uint64_t v, size_t n) {
    uint8_t b[8];
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    Bytes(address, b, n);
  }
  uint64_t Start(uint64_t address) const { return std::prev(regions_.upper_bound(address))->first; }
  // The region holding [address, address + size), or null; const or not as the map is.
  template <typename Map>
  static auto FindIn(Map& regions, uint64_t address, size_t size) -> decltype(&regions.begin()->second) {
    auto it = regions.upper_bound(address);
    if (it == regions.begin()) return nullptr;
    --it;
    const uint64_t offset = address - it->first;
    if (offset > it->second.size() || size > it->second.size() - offset) return nullptr;
    return &it->second;
  }
  const std::vector<uint8_t>* Find(uint64_t address, size_t size) const { return FindIn(regions_, address, size); }
  std::vector<uint8_t>* Find(uint64_t address, size_t size) { return FindIn(regions_, address, size); }

  std::map<uint64_t, std::vector<uint8_t>> regions_;
  size_t reads_ = 0;
  uint64_t bytes_read_ = 0;
  size_t largest_read_ = 0;
};

}  // namespace ktriage::testing
