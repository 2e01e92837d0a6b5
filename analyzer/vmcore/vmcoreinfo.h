// VmcoreInfo: the VMCOREINFO note parsed into typed fields (the kernel's own description of the
// symbols, offsets and sizes a post-mortem reader needs, exported since 2.6.24).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ktriage {

struct VmcoreInfo {
  std::string text;                      // the whole note, as found
  std::string osrelease;                 // OSRELEASE=6.1.0-50-cloud-amd64
  std::string build_id;                  // BUILD-ID= (hex), 5.10+
  uint64_t page_size = 0;                // PAGESIZE=
  std::optional<int64_t> kernel_offset;  // KERNELOFFSET= (hex; the KASLR slide)
  std::optional<int64_t> crash_time;     // CRASHTIME= (seconds since the epoch)
  // SYMBOL(name)=hex, SIZE(name)=dec, OFFSET(struct.member)=dec, LENGTH(name)=dec, NUMBER(name)=dec
  // (NUMBER may be negative, e.g. phys_base on some dumps).
  std::map<std::string, uint64_t, std::less<>> symbols;
  std::map<std::string, uint64_t, std::less<>> sizes;
  std::map<std::string, uint64_t, std::less<>> offsets;
  std::map<std::string, uint64_t, std::less<>> lengths;
  std::map<std::string, int64_t, std::less<>> numbers;

  // Parses the note text. Unknown keys are kept in `text` only; a malformed line is skipped (the
  // note is untrusted: one bad line must not lose the rest). An error only when nothing usable
  // (no OSRELEASE and no SYMBOL) was found.
  static Result<VmcoreInfo> Parse(std::string_view text);

  std::optional<uint64_t> Symbol(std::string_view name) const;
  std::optional<uint64_t> Size(std::string_view name) const;
  std::optional<uint64_t> Offset(std::string_view struct_dot_member) const;
  std::optional<uint64_t> Length(std::string_view name) const;
  std::optional<int64_t> Number(std::string_view name) const;
};

}  // namespace ktriage
