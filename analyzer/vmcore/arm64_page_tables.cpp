// The walk follows the Arm ARM's VMSAv8-64 translation (D8.2, D8.3): each level resolves
// page_shift - 3 bits of the address, the top level what is left; a descriptor is invalid (bit 0
// clear), a block (bits [1:0] = 01, above the last level) or a table/page (11).
#include "analyzer/vmcore/arm64_page_tables.h"

#include <bit>

#include "base/text.h"

namespace ktriage {
namespace {

constexpr size_t kRecentLimit = 1 << 14;

uint64_t Bits(unsigned high, unsigned low) {  // mask of bits high..low inclusive
  return (high >= 63 ? ~uint64_t{0} : (uint64_t{1} << (high + 1)) - 1) & ~((uint64_t{1} << low) - 1);
}

}  // namespace

Result<Arm64PageTables> Arm64PageTables::FromVmcoreInfo(const VmcoreInfo& info) {
  Arm64PageTables t;
  if (info.page_size != 4096 && info.page_size != 16384 && info.page_size != 65536)
    return Error{"arm64 page walk: page size " + std::to_string(info.page_size) + " is not 4, 16 or 64 KiB"};
  t.page_shift_ = static_cast<unsigned>(std::countr_zero(info.page_size));
  // The run-time VA size: a kernel built for 52 bits runs with 48 on CPUs without LPA2, and only
  // TCR_EL1.T1SZ (5.12 and later) says which; before it, the build's VA_BITS is the run-time one.
  if (std::optional<int64_t> t1sz = info.Number("TCR_EL1_T1SZ"); t1sz && *t1sz > 0 && *t1sz < 64) {
    t.va_bits_ = static_cast<unsigned>(64 - *t1sz);
  } else if (std::optional<int64_t> va = info.Number("VA_BITS"); va && *va > 0 && *va < 64) {
    t.va_bits_ = static_cast<unsigned>(*va);
  } else {
    return Error{"arm64 page walk: VMCOREINFO has neither NUMBER(TCR_EL1_T1SZ) nor NUMBER(VA_BITS)"};
  }
  if (t.va_bits_ < 36 || t.va_bits_ > 52)
    return Error{"arm64 page walk: a " + std::to_string(t.va_bits_) + "-bit kernel address space is not one arm64 has"};
  const unsigned per_level = t.page_shift_ - 3;
  t.levels_ = (t.va_bits_ - t.page_shift_ + per_level - 1) / per_level;
  if (std::optional<int64_t> pa = info.Number("MAX_PHYSMEM_BITS"); pa && *pa >= 32 && *pa <= 52)
    t.pa_bits_ = static_cast<unsigned>(*pa);
  // 52-bit VAs with 4 or 16 KiB pages exist only with FEAT_LPA2, whose descriptors the kernel
  // then uses (TCR_EL1.DS); 64 KiB pages reach 52 bits with FEAT_LPA's own format instead.
  t.lpa2_ = t.va_bits_ > 48 && t.page_shift_ != 16;
  std::optional<uint64_t> swapper = info.Symbol("swapper_pg_dir");
  std::optional<int64_t> voffset = info.Number("kimage_voffset");
  if (!swapper || !voffset)
    return Error{"arm64 page walk: VMCOREINFO lacks SYMBOL(swapper_pg_dir) or NUMBER(kimage_voffset)"};
  t.root_ = *swapper - static_cast<uint64_t>(*voffset);  // in the image: __pa_symbol
  return t;
}

uint64_t Arm64PageTables::OutputAddress(uint64_t d) const {
  if (lpa2_) return (d & Bits(49, page_shift_)) | ((d >> 8) & 3) << 50;
  if (page_shift_ == 16 && pa_bits_ > 48) return (d & Bits(47, 16)) | ((d >> 12) & 0xf) << 48;
  return d & Bits(47, page_shift_);
}

Result<uint64_t> Arm64PageTables::Translate(uint64_t va, const ReadPhysical& read) {
  const uint64_t page_mask = (uint64_t{1} << page_shift_) - 1;
  if (auto it = recent_.find(va >> page_shift_); it != recent_.end()) return it->second | (va & page_mask);
  // TTBR1 covers the top of the address space: every bit above the VA size must be set.
  if ((va | Bits(va_bits_ - 1, 0)) != ~uint64_t{0})
    return Error{"address " + HexString(va) + " is outside the kernel's " + std::to_string(va_bits_) + "-bit address space"};
  const unsigned per_level = page_shift_ - 3;
  uint64_t table = root_;
  for (unsigned level = 0; level < levels_; ++level) {
    const unsigned shift = page_shift_ + per_level * (levels_ - 1 - level);
    const unsigned bits = level == 0 ? va_bits_ - shift : per_level;
    const uint64_t index = (va >> shift) & ((uint64_t{1} << bits) - 1);
    const uint64_t at = table + 8 * index;
    Result<uint64_t> d = read(at);
    if (!d) return Error{"address " + HexString(va) + ": page table entry at physical " + HexString(at) + ": " + d.error().message};
    const bool last = level + 1 == levels_;
    if ((*d & 1) == 0)
      return Error{"address " + HexString(va) + " not mapped (arm64 page walk: level " + std::to_string(level) + " of " +
                   std::to_string(levels_) + " has no entry)"};
    const bool block = (*d & 2) == 0;
    if (block && last)
      return Error{"address " + HexString(va) + " not mapped (arm64 page walk: reserved entry at the last level)"};
    if (block || last) {
      const uint64_t span = (uint64_t{1} << shift) - 1;
      const uint64_t physical = (OutputAddress(*d) & ~span) | (va & span);
      if (recent_.size() >= kRecentLimit) recent_.clear();
      recent_.emplace(va >> page_shift_, physical & ~page_mask);
      return physical;
    }
    table = OutputAddress(*d);
  }
  return Error{"address " + HexString(va) + " not mapped (arm64 page walk ran out of levels)"};
}

std::string Arm64PageTables::Describe() const {
  return std::to_string(va_bits_) + "-bit VA" + (lpa2_ ? ", LPA2" : "") + ", " + std::to_string(levels_) + " levels of " +
         std::to_string((uint64_t{1} << page_shift_) / 1024) + " KiB pages";
}

}  // namespace ktriage
