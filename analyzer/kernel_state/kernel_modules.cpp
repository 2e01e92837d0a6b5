// ReadModules: struct module by name; the layout fields of 6.1 (core_layout), which 6.4 replaced
// with mem[MOD_TEXT]: that kernel's modules are listed by name, without their extents.
#include "analyzer/kernel_state/kernel_modules.h"

#include "analyzer/kernel_state/kernel_list.h"

#include <algorithm>

namespace ktriage::kernel {

const LoadedModule* ModuleList::Containing(uint64_t address) const {
  for (const LoadedModule& m : modules) {
    if (address >= m.text_base && address - m.text_base < m.core_size) return &m;
    if (m.init_base != 0 && address >= m.init_base && address - m.init_base < m.init_size) return &m;
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
    mod.init_base = field("init_layout.base");
    mod.init_size = field("init_layout.size");
    mod.orc_ip = field("arch.orc_unwind_ip");
    mod.orc = field("arch.orc_unwind");
    mod.num_orcs = field("arch.num_orcs");
    out.modules.push_back(std::move(mod));
    return true;
  };
  if (auto problem = WalkList(k.memory, *head, *list_off, max_modules, visit)) out.problems.push_back("modules: " + *problem);
  return out;
}

const std::vector<ModuleSymbols::Symbol>& ModuleSymbols::Load(const LoadedModule& m) {
  auto [it, inserted] = symbols_.try_emplace(m.address);
  if (!inserted) return it->second;
  std::vector<Symbol>& out = it->second;
  Result<KernelObject> module = k_.Object("module", m.address);
  if (!module) return out;
  Result<uint64_t> kallsyms = module->Unsigned("kallsyms");
  if (!kallsyms || *kallsyms == 0) return out;
  Result<KernelObject> ks = k_.Object("mod_kallsyms", *kallsyms);
  if (!ks) return out;
  Result<uint64_t> symtab = ks->Unsigned("symtab"), count = ks->Unsigned("num_symtab"), strtab = ks->Unsigned("strtab");
  if (!symtab || !count || !strtab || *count == 0 || *count > 1000000) return out;
  constexpr size_t kSym = 24;  // Elf64_Sym
  std::vector<unsigned char> raw(*count * kSym);
  if (!k_.memory.ReadVirtual(*symtab, raw.data(), raw.size())) return out;
  auto le = [&](size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{raw[at + static_cast<size_t>(i)]} << (8 * i);
    return v;
  };
  for (uint64_t i = 0; i < *count; ++i) {
    const size_t at = i * kSym;
    const unsigned type = raw[at + 4] & 0xf;
    if (type != 2 /* STT_FUNC */) continue;
    Symbol s;
    s.value = le(at + 8, 8);
    s.size = le(at + 16, 8);
    const bool in_core = s.value >= m.text_base && s.value - m.text_base < m.core_size;
    const bool in_init = m.init_base != 0 && s.value >= m.init_base && s.value - m.init_base < m.init_size;
    if (!in_core && !in_init) continue;
    if (auto name = k_.memory.ReadCString(*strtab + le(at, 4), 256)) s.name = *name;
    if (!s.name.empty()) out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const Symbol& a, const Symbol& b) { return a.value < b.value; });
  return out;
}

std::optional<CodeSymbol> ModuleSymbols::Lookup(uint64_t address) {
  const LoadedModule* m = modules_.Containing(address);
  if (m == nullptr) return std::nullopt;
  const std::vector<Symbol>& symbols = Load(*m);
  auto it = std::upper_bound(symbols.begin(), symbols.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.value; });
  if (it != symbols.begin()) {
    --it;
    if (it->size == 0 || address - it->value < it->size) return CodeSymbol{it->name, address - it->value, it->size, m->name};
  }
  return CodeSymbol{"", address - m->text_base, 0, m->name};
}

}  // namespace ktriage::kernel
