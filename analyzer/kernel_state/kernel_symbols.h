// KernelSymbols: where a kernel's global variables and functions are ("init_task", "runqueues"),
// from one of two sources: the vmlinux's ELF symbol table (VmlinuxSymbols, addresses as linked)
// or the kallsyms table in the dump's own memory (DumpKallsyms, addresses as the kernel ran).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ktriage::kernel {

class KernelSymbols {
 public:
  virtual ~KernelSymbols() = default;
  // The address of a global symbol; an error names the symbol and the source. Per-CPU variables
  // give their offset in the per-CPU area where the architecture links them so (x86-64).
  virtual Result<uint64_t> Address(std::string_view name) = 0;
  // Whether Address already says where the dump's kernel has the symbol (KASLR applied).
  virtual bool relocated() const = 0;
  // "vmlinux PATH" or "the dump's kallsyms", for notes.
  virtual std::string source() const = 0;
};

}  // namespace ktriage::kernel
