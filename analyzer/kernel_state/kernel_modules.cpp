// ReadModules: struct module by name; the layout fields of 6.1 (core_layout), which 6.4 replaced
// with mem[MOD_TEXT]: that kernel's modules are listed by name, without their extents.
#include "analyzer/kernel_state/kernel_modules.h"

#include "analyzer/kernel_state/kernel_list.h"

namespace ktriage::kernel {

const LoadedModule* ModuleList::Containing(uint64_t address) const {
  for (const LoadedModule& m : modules) {
    if (address >= m.text_base && address - m.text_base < m.core_size) return &m;
  }
  return nullptr;
}

ModuleList ReadModules(const KernelContext& k, size_t max_modules) {
  ModuleList out;
  Result<uint64_t> head = k.Symbol("modules");
  Result<uint64_t> list_off = k.types.Offset("module", "list");
  if (!head || !list_off) {
    out.problems.push_back(!head ? head.error().message : list_off.error().message);
    return out;
  }
  auto visit = [&](uint64_t address) {
    Result<KernelObject> m = k.Object("module", address);
    if (!m) {
      out.problems.push_back(m.error().message);
      return true;
    }
    LoadedModule mod;
    mod.address = address;
    if (auto name = m->CharArray("name")) mod.name = *name;
    auto field = [&](const char* path) -> uint64_t {
      auto v = m->Unsigned(path);
      return v ? *v : 0;
    };
    mod.text_base = field("core_layout.base");
    mod.text_size = field("core_layout.text_size");
    mod.core_size = field("core_layout.size");
    mod.orc_ip = field("arch.orc_unwind_ip");
    mod.orc = field("arch.orc_unwind");
    mod.num_orcs = field("arch.num_orcs");
    out.modules.push_back(std::move(mod));
    return true;
  };
  if (auto problem = WalkList(k.memory, *head, *list_off, max_modules, visit)) out.problems.push_back("modules: " + *problem);
  return out;
}

}  // namespace ktriage::kernel
