// VmlinuxSymbols: addresses of kernel variables and functions from vmlinux's ELF symbol table
// (as linked, before KASLR: callers add the dump's KERNELOFFSET).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "analyzer/kernel_state/kernel_symbols.h"
#include "base/result.h"

namespace ktriage::kernel {

class VmlinuxSymbols final : public KernelSymbols {
 public:
  static Result<VmlinuxSymbols> Open(const std::string& vmlinux);
  // The link-time address of a global symbol ("init_task"); an error names the symbol.
  Result<uint64_t> Address(std::string_view name) override;
  bool relocated() const override { return false; }
  std::string source() const override { return "vmlinux " + path_; }
  // The GNU build-id (lowercase hex), "" when the file has none: compared with the dump's.
  const std::string& build_id() const { return build_id_; }

 private:
  std::string path_;
  std::string build_id_;
  std::unordered_map<std::string, uint64_t> addresses_;
};

}  // namespace ktriage::kernel
