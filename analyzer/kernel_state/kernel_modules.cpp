// ReadModules: struct module by name, in either layout of its memory: the layouts of 6.4 and later
// (mem[MOD_TEXT...]) and of 2.6.x..6.3 (core_layout/init_layout, earlier module_core), told apart
// by which members the kernel's struct module has.
#include "analyzer/kernel_state/kernel_modules.h"

#include "analyzer/kernel_state/kernel_list.h"

#include <algorithm>
#include <cstring>

namespace ktriage::kernel {
namespace {

// enum mod_mem_type (include/linux/module.h, unchanged since it came in 6.4): MOD_TEXT, MOD_DATA,
// MOD_RODATA, MOD_RO_AFTER_INIT, MOD_INIT_TEXT, MOD_INIT_DATA, MOD_INIT_RODATA. The index is the
// type, so only its meaning is needed here; the count comes from the array's own size.
constexpr unsigned kModText = 0, kModInitText = 4, kModFirstInit = 4;

// mem[]: one region per non-empty entry.
void ReadMemRegions(const KernelContext& k, uint64_t module, LoadedModule& mod, std::vector<std::string>& problems) {
  Result<MemberLayout> mem = k.types.Member("module", "mem");
  Result<uint64_t> entry_size = k.types.SizeOf("module_memory");
  if (!mem || !entry_size || *entry_size == 0) {
    problems.push_back("module " + mod.name + ": " + (!mem ? mem.error().message : "no struct module_memory"));
    return;
  }
  const uint64_t count = std::min<uint64_t>(mem->size / *entry_size, 16);
  for (uint64_t i = 0; i < count; ++i) {
    Result<KernelObject> m = k.Object("module_memory", module + mem->offset + i * *entry_size);
    if (!m) {
      problems.push_back("module " + mod.name + ": " + m.error().message);
      return;
    }
    ModuleRegion r;
    if (auto v = m->Unsigned("base")) r.base = *v;
    if (auto v = m->Unsigned("size")) r.size = *v;
    if (r.base == 0 || r.size == 0) continue;
    r.text = i == kModText || i == kModInitText;
    r.init = i >= kModFirstInit;
    mod.regions.push_back(r);
  }
}

// core_layout / init_layout: text first, then the rest of the layout.
void ReadLayoutRegions(const KernelObject& m, const char* layout, bool init, LoadedModule& mod) {
  const std::string prefix = std::string(layout) + ".";
  auto field = [&](const char* name) -> uint64_t {
    auto v = m.Unsigned(prefix + name);
    return v ? *v : 0;
  };
  const uint64_t base = field("base"), size = field("size"), text = std::min(field("text_size"), size);
  if (base == 0 || size == 0) return;
  if (text > 0) mod.regions.push_back({base, text, true, init});
  if (size > text) mod.regions.push_back({base + text, size - text, false, init});
}

// The GNU build-id in a module's notes: the note sections the loader keeps for sysfs
// (notes_attrs: one bin_attribute per SHT_NOTE section, `private` its contents, `size` its bytes).
std::string ModuleBuildId(const KernelContext& k, const KernelObject& module) {
  Result<uint64_t> attrs = module.Unsigned("notes_attrs");
  if (!attrs || *attrs == 0) return "";
  Result<KernelObject> notes = k.Object("module_notes_attrs", *attrs);
  Result<MemberLayout> array = k.types.Member("module_notes_attrs", "attrs");
  Result<uint64_t> attr_size = k.types.SizeOf("bin_attribute");
  if (!notes || !array || !attr_size || *attr_size == 0) return "";
  Result<uint64_t> count = notes->Unsigned("notes");
  if (!count) return "";
  for (uint64_t i = 0; i < std::min<uint64_t>(*count, 16); ++i) {
    Result<KernelObject> attr = k.Object("bin_attribute", *attrs + array->offset + i * *attr_size);
    if (!attr) return "";
    Result<uint64_t> data = attr->Unsigned("private"), size = attr->Unsigned("size");
    if (!data || !size || *size == 0 || *size > 4096) continue;
    std::vector<unsigned char> bytes(*size);
    if (!k.memory.ReadVirtual(*data, bytes.data(), bytes.size())) continue;
    auto u32 = [&](size_t at) { return uint32_t{bytes[at]} | bytes[at + 1] << 8 | bytes[at + 2] << 16 | uint32_t{bytes[at + 3]} << 24; };
    for (size_t at = 0; at + 12 <= bytes.size();) {
      const uint64_t namesz = u32(at), descsz = u32(at + 4), type = u32(at + 8);
      const uint64_t name_at = at + 12, desc_at = name_at + ((namesz + 3) & ~uint64_t{3});
      if (desc_at + descsz > bytes.size()) break;
      if (type == 3 /* NT_GNU_BUILD_ID */ && namesz == 4 && std::memcmp(&bytes[name_at], "GNU", 4) == 0) {
        static const char kHex[] = "0123456789abcdef";
        std::string id;
        for (uint64_t b = 0; b < descsz; ++b) {
          id += kHex[bytes[desc_at + b] >> 4];
          id += kHex[bytes[desc_at + b] & 0xf];
        }
        return id;
      }
      at = desc_at + ((descsz + 3) & ~uint64_t{3});
    }
  }
  return "";
}

}  // namespace

bool LoadedModule::Contains(uint64_t a) const {
  for (const ModuleRegion& r : regions) {
    if (a >= r.base && a - r.base < r.size) return true;
  }
  return false;
}

uint64_t LoadedModule::TextBase() const {
  for (const ModuleRegion& r : regions) {
    if (r.text && !r.init) return r.base;
  }
  return regions.empty() ? 0 : regions.front().base;
}

const LoadedModule* ModuleList::Containing(uint64_t address) const {
  for (const LoadedModule& m : modules) {
    if (m.Contains(address)) return &m;
  }
  return nullptr;
}

uint64_t LoadedModule::CoreSize() const {
  uint64_t size = 0;
  for (const ModuleRegion& r : regions) size += r.init ? 0 : r.size;
  return size;
}

std::string TaintLetters(uint64_t mask) {
  // kernel/panic.c's taint_flags, by bit: the letter `cat /proc/sys/kernel/tainted` decodes to.
  static constexpr std::string_view kLetters = "PFSRMBUDAWCIOELKXTN";
  std::string out;
  for (size_t bit = 0; bit < 64; ++bit) {
    if (!(mask & (uint64_t{1} << bit))) continue;
    out += bit < kLetters.size() ? kLetters[bit] : '?';
  }
  return out;
}

ModuleList ReadModules(const KernelContext& k, size_t max_modules) {
  ModuleList out;
  Result<uint64_t> head = k.Symbol("modules");
  Result<uint64_t> list_off = k.types.Offset("module", "list");
  if (!head || !list_off) {
    out.problems.push_back(!head ? head.error().message : list_off.error().message);
    return out;
  }
  const bool mem_layout = k.types.Has("module", "mem");
  if (!mem_layout && !k.types.Has("module", "core_layout")) {
    out.problems.push_back("modules: struct module has neither mem[] (6.4 and later) nor core_layout: module code is not attributed");
  }
  out.layout = mem_layout ? "mem[]" : "core_layout";
  auto visit = [&](uint64_t address) {
    Result<KernelObject> m = k.Object("module", address);
    if (!m) {
      out.problems.push_back(m.error().message);
      return true;
    }
    LoadedModule mod;
    mod.address = address;
    if (auto name = m->CharArray("name")) mod.name = *name;
    if (mem_layout) {
      ReadMemRegions(k, address, mod, out.problems);
    } else {
      ReadLayoutRegions(*m, "core_layout", false, mod);
      ReadLayoutRegions(*m, "init_layout", true, mod);
    }
    auto field = [&](const char* path) -> uint64_t {
      auto v = m->Unsigned(path);
      return v ? *v : 0;
    };
    mod.orc_ip = field("arch.orc_unwind_ip");
    mod.orc = field("arch.orc_unwind");
    mod.num_orcs = field("arch.num_orcs");
    mod.build_id = ModuleBuildId(k, *m);
    mod.taints = field("taints");
    if (auto sig = m->Unsigned("sig_ok")) mod.signature_ok = *sig != 0;
    if (auto state = m->Unsigned("state")) mod.state = static_cast<int>(*state);
    out.modules.push_back(std::move(mod));
    return true;
  };
  if (auto problem = WalkList(k.memory, *head, *list_off, max_modules, visit)) out.problems.push_back("modules: " + *problem);
  return out;
}

const ModuleSymbols::Table& ModuleSymbols::Load(const LoadedModule& m) {
  auto [it, inserted] = symbols_.try_emplace(m.address);
  if (!inserted) return it->second;
  Table& out = it->second;
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
    if (type != 2 /* STT_FUNC */ && type != 1 /* STT_OBJECT */) continue;
    Symbol s;
    s.value = le(at + 8, 8);
    s.size = le(at + 16, 8);
    if (!m.Contains(s.value)) continue;
    if (auto name = k_.memory.ReadCString(*strtab + le(at, 4), 256)) s.name = *name;
    if (!s.name.empty()) (type == 2 ? out.functions : out.objects).push_back(std::move(s));
  }
  // Stable: of two names for one address (module_init's alias init_module and the function it
  // names), the first in the symbol table wins, as the kernel's own lookup prints it.
  auto by_value = [](const Symbol& a, const Symbol& b) { return a.value < b.value; };
  std::stable_sort(out.functions.begin(), out.functions.end(), by_value);
  std::stable_sort(out.objects.begin(), out.objects.end(), by_value);
  for (const std::vector<Symbol>* list : {&out.functions, &out.objects}) {
    for (const Symbol& s : *list) out.starts.push_back(s.value);
  }
  std::sort(out.starts.begin(), out.starts.end());
  return out;
}

std::optional<CodeSymbol> ModuleSymbols::LookupData(uint64_t address) {
  const LoadedModule* m = modules_.Containing(address);
  if (m == nullptr) return std::nullopt;
  const std::vector<Symbol>& symbols = Load(*m).objects;
  auto it = std::upper_bound(symbols.begin(), symbols.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.value; });
  // Without CONFIG_KALLSYMS_ALL the loader keeps no variables: then only the module is known.
  const CodeSymbol unnamed{"", 0, 0, m->name};
  if (it == symbols.begin()) return unnamed;
  --it;
  if (address - it->value >= std::max<uint64_t>(it->size, 1)) return unnamed;
  return CodeSymbol{it->name, address - it->value, it->size, m->name};
}

std::optional<CodeSymbol> ModuleSymbols::Lookup(uint64_t address) {
  const LoadedModule* m = modules_.Containing(address);
  if (m == nullptr) return std::nullopt;
  const Table& table = Load(*m);
  const std::vector<Symbol>& symbols = table.functions;
  auto it = std::upper_bound(symbols.begin(), symbols.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.value; });
  if (it != symbols.begin()) {
    --it;
    while (it != symbols.begin() && std::prev(it)->value == it->value) --it;
    // The size the kernel's %pS prints (find_kallsyms_symbol): up to the module's next symbol, or
    // the end of the code that holds it; not the ELF size, which leaves out the alignment padding.
    uint64_t end = it->value + it->size;
    for (const ModuleRegion& r : m->regions) {
      if (r.text && it->value >= r.base && it->value < r.base + r.size) end = r.base + r.size;
    }
    auto next = std::upper_bound(table.starts.begin(), table.starts.end(), it->value);
    if (next != table.starts.end() && *next < end) end = *next;
    if (address < end) return CodeSymbol{it->name, address - it->value, end - it->value, m->name};
  }
  return CodeSymbol{"", address - m->TextBase(), 0, m->name};
}

}  // namespace ktriage::kernel
