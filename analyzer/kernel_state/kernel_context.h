// KernelContext: what every walk of kernel data needs, passed in (no globals): the dump's memory,
// the build's types and symbols (from the vmlinux or from the dump itself), and where KASLR put
// the kernel.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "analyzer/kernel_state/kernel_arch.h"
#include "analyzer/kernel_state/kernel_object.h"
#include "analyzer/kernel_state/kernel_types.h"
#include "analyzer/kernel_state/kernel_symbols.h"
#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/memory_reader.h"

namespace ktriage::kernel {

struct KernelContext {
  MemoryReader& memory;
  KernelTypes& types;
  KernelSymbols& symbols;
  const KernelArch& arch;
  int64_t kernel_offset = 0;  // KERNELOFFSET: added to every address of a symbol source that is not relocated
  std::string release;        // OSRELEASE ("6.12.115+deb12-cloud-amd64"): a last resort for layout facts
  // The bits pointer authentication may set in a kernel return address (arm64 VMCOREINFO
  // NUMBER(KERNELPACMASK)); 0 where return addresses are not signed.
  uint64_t pac_mask = 0;

  // A kernel symbol's address in the dump (SymbolInDump).
  Result<uint64_t> Symbol(std::string_view name) const;
  // CPU `cpu`'s copy of the per-CPU variable `name` ("runqueues"): its symbol plus
  // __per_cpu_offset[cpu], on every architecture.
  Result<uint64_t> PerCpu(std::string_view name, int cpu) const;
  Result<KernelObject> Object(std::string_view type, uint64_t address) const {
    return KernelObject::Read(memory, types, type, address);
  }
};

// A kernel symbol's address in the dump. KASLR moves the image; per-CPU variables linked at small
// offsets from their section (x86-64; add __per_cpu_offset[cpu]) stay where they are.
inline Result<uint64_t> SymbolInDump(KernelSymbols& symbols, const KernelArch& arch, int64_t kernel_offset,
                                     std::string_view name) {
  Result<uint64_t> a = symbols.Address(name);
  if (!a) return a.error();
  if (symbols.relocated()) return *a;
  return *a >= arch.percpu_link_limit ? *a + static_cast<uint64_t>(kernel_offset) : *a;
}

inline Result<uint64_t> KernelContext::Symbol(std::string_view name) const {
  return SymbolInDump(symbols, arch, kernel_offset, name);
}

inline Result<uint64_t> KernelContext::PerCpu(std::string_view name, int cpu) const {
  if (cpu < 0) return Error{"no CPU " + std::to_string(cpu)};
  Result<uint64_t> offsets = Symbol("__per_cpu_offset");
  if (!offsets) return offsets.error();
  Result<uint64_t> variable = Symbol(name);
  if (!variable) return variable.error();
  Result<uint64_t> base = memory.ReadU64(*offsets + 8 * static_cast<uint64_t>(cpu));
  if (!base) return Error{"__per_cpu_offset[" + std::to_string(cpu) + "]: " + base.error().message};
  return *variable + *base;
}

// The context of `dump` (its memory, KASLR slide, release and pointer-authentication mask from
// VMCOREINFO) with a build's types and symbols; `arch` is the dump's.
KernelContext ContextOfDump(DumpFile& dump, KernelTypes& types, KernelSymbols& symbols, const KernelArch& arch);
// The same with the dump's memory read through `memory`.
KernelContext ContextOfDump(const VmcoreInfo& info, MemoryReader& memory, KernelTypes& types, KernelSymbols& symbols,
                            const KernelArch& arch);

}  // namespace ktriage::kernel
