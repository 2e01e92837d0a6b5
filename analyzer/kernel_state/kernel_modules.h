// KernelModules: the loaded modules of the dump (the `modules` list): where each one's code is,
// and where its ORC unwind tables are, so that frames in modules are named and unwound.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"

namespace ktriage::kernel {

struct LoadedModule {
  std::string name;
  uint64_t address = 0;       // struct module *
  uint64_t text_base = 0;     // core_layout.base (6.1): text, then read-only data
  uint64_t text_size = 0;     // core_layout.text_size
  uint64_t core_size = 0;     // core_layout.size
  uint64_t orc_ip = 0;        // arch.orc_unwind_ip: int32 offsets, each relative to itself
  uint64_t orc = 0;           // arch.orc_unwind: 6-byte entries
  uint64_t num_orcs = 0;
};

struct ModuleList {
  std::vector<LoadedModule> modules;
  std::vector<std::string> problems;

  // The module whose core holds `address`, if any.
  const LoadedModule* Containing(uint64_t address) const;
};

ModuleList ReadModules(const KernelContext& kernel, size_t max_modules = 65536);

}  // namespace ktriage::kernel
