// PatchedMemory: a real dump's memory with pages taken out (as a filtered or truncated dump loses
// them) and words replaced (a damaged pointer), for the tests of what a walk does then.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "analyzer/vmcore/memory_reader.h"
#include "base/text.h"

namespace ktriage::testing {

class PatchedMemory : public MemoryReader {
 public:
  explicit PatchedMemory(MemoryReader& whole) : whole_(whole) {}
  std::set<uint64_t> holes;            // 4 KiB pages
  std::map<uint64_t, uint64_t> words;  // address -> the 8 bytes read there instead

  Status ReadVirtual(uint64_t address, void* buffer, size_t size) override {
    for (uint64_t page = address & ~uint64_t{4095}; page < address + size; page += 4096) {
      if (holes.count(page)) return Error{"address " + HexString(page) + " not in the dump (a page taken out by the test)"};
    }
    if (Status s = whole_.ReadVirtual(address, buffer, size); !s) return s;
    auto* bytes = static_cast<unsigned char*>(buffer);
    for (const auto& [at, value] : words) {
      for (uint64_t i = 0; i < 8; ++i) {
        if (at + i >= address && at + i < address + size) bytes[at + i - address] = static_cast<unsigned char>(value >> (8 * i));
      }
    }
    return Ok{};
  }

 private:
  MemoryReader& whole_;
};

}  // namespace ktriage::testing
