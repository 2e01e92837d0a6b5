// The kernel's own BTF in a dump's memory: the kernel's between __start_BTF and __stop_BTF, each
// module's from the BPF subsystem's btf_modules list (CONFIG_DEBUG_INFO_BTF_MODULES: the loader
// hands a module's .BTF to it and clears struct module's btf_data), read and handed to BtfTypes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/kernel_state/btf_types.h"
#include "analyzer/kernel_state/kernel_arch.h"
#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/kernel_modules.h"
#include "analyzer/kernel_state/kernel_symbols.h"
#include "analyzer/vmcore/memory_reader.h"

namespace ktriage::kernel {

struct BtfBlob {
  uint64_t address = 0;
  std::vector<unsigned char> bytes;
};

// The raw blob. Errors: no __start_BTF (a kernel without CONFIG_DEBUG_INFO_BTF), an implausible
// range, or pages of it missing from the dump (filtered out by makedumpfile's dump level).
Result<BtfBlob> ReadKernelBtfBlob(MemoryReader& memory, KernelSymbols& symbols, const KernelArch& arch,
                                  int64_t kernel_offset);
// The blob, checked and parsed.
Result<std::unique_ptr<BtfTypes>> ReadKernelBtf(MemoryReader& memory, KernelSymbols& symbols, const KernelArch& arch,
                                                int64_t kernel_offset);

struct ModuleBtf {
  std::string module;
  BtfBlob blob;
};
// Every module's BTF blob; `problems` says which could not be read (a page missing, a broken list).
std::vector<ModuleBtf> ReadModuleBtfBlobs(const KernelContext& kernel, const ModuleList& modules,
                                          std::vector<std::string>& problems);

// Each module's split BTF on the kernel's; a module whose BTF is damaged, unreadable or made for
// another kernel is left out with a line in `notes` (its own types are then unknown, nothing else).
void AddModuleBtf(const KernelContext& kernel, const ModuleList& modules, BtfTypes& types,
                  std::vector<std::string>& notes);

}  // namespace ktriage::kernel
