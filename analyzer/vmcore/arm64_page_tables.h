// Arm64PageTables: an arm64 kernel virtual address to its physical address, by walking the
// kernel's page tables (swapper_pg_dir) as the MMU does, configured from VMCOREINFO alone: the
// run-time VA size (TCR_EL1_T1SZ: 48 bits, or 52 with LPA2's five levels and its descriptor
// format), the page size, and where the image is (kimage_voffset). One walk for every arm64
// dump, including those whose physical blocks ktriage reads itself (DiskdumpPages).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "analyzer/vmcore/vmcoreinfo.h"
#include "base/result.h"

namespace ktriage {

class Arm64PageTables {
 public:
  // Reads 8 bytes of physical memory (a descriptor).
  using ReadPhysical = std::function<Result<uint64_t>(uint64_t physical)>;

  // An error naming what VMCOREINFO lacks or what it holds that this walk does not know.
  static Result<Arm64PageTables> FromVmcoreInfo(const VmcoreInfo& info);

  // The physical address of `virtual_address`; an error says at which level the walk found no
  // mapping, or which descriptor could not be read.
  Result<uint64_t> Translate(uint64_t virtual_address, const ReadPhysical& read);

  uint64_t page_size() const { return uint64_t{1} << page_shift_; }  // what one translation covers
  unsigned va_bits() const { return va_bits_; }
  unsigned levels() const { return levels_; }
  bool lpa2() const { return lpa2_; }
  // "52-bit VA, LPA2, 5 levels of 4 KiB pages": for messages and `vmcore info`.
  std::string Describe() const;

 private:
  Arm64PageTables() = default;
  uint64_t OutputAddress(uint64_t descriptor) const;

  unsigned page_shift_ = 12;
  unsigned va_bits_ = 48;     // at run time: 64 - TCR_EL1.T1SZ
  unsigned levels_ = 4;
  unsigned pa_bits_ = 48;     // MAX_PHYSMEM_BITS
  bool lpa2_ = false;         // descriptors hold OA[51:50] in bits [9:8] (TCR_EL1.DS = 1)
  uint64_t root_ = 0;         // physical address of swapper_pg_dir
  // Recent translations by virtual page: a walk is four or five descriptor reads.
  std::unordered_map<uint64_t, uint64_t> recent_;
};

}  // namespace ktriage
