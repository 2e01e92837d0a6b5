// KernelModules: the loaded modules of the dump (the `modules` list): where each one's code is,
// where its ORC unwind tables are, and its build-id, so that frames in modules are named, unwound
// and matched with the module's own debuginfo.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"

namespace ktriage::kernel {

// One piece of a module's memory.
struct ModuleRegion {
  uint64_t base = 0;
  uint64_t size = 0;
  bool text = false;  // code
  bool init = false;  // __init code or data: there while the module's init runs
};

struct LoadedModule {
  std::string name;
  uint64_t address = 0;               // struct module *
  std::vector<ModuleRegion> regions;  // 6.4 and later: mem[]; before: core_layout, init_layout
  uint64_t orc_ip = 0;                // arch.orc_unwind_ip: int32 offsets, each relative to itself
  uint64_t orc = 0;                   // arch.orc_unwind: 6-byte entries
  uint64_t num_orcs = 0;
  std::string build_id;               // its GNU build-id (lowercase hex) from its notes; "" when unread
  uint64_t taints = 0;                // module->taints: TAINT_* bits it brought (O out-of-tree, E unsigned...)
  std::optional<bool> signature_ok;   // module->sig_ok (CONFIG_MODULE_SIG): its signature verified
  int state = 0;                      // enum module_state: 0 live, 1 coming (in init), 2 going, 3 unformed


  bool Contains(uint64_t address) const;
  // Bytes of its memory without the init sections (what crash's mod and lsmod call its size).
  uint64_t CoreSize() const;
  // The start of its (core) code: where offsets of unnamed module addresses count from.
  uint64_t TextBase() const;
};

struct ModuleList {
  std::vector<LoadedModule> modules;
  std::vector<std::string> problems;
  std::string layout;  // how struct module describes its memory: "mem[]" or "core_layout"

  // The module one of whose regions holds `address`, if any.
  const LoadedModule* Containing(uint64_t address) const;
};

ModuleList ReadModules(const KernelContext& kernel, size_t max_modules = 65536);

// The taint letters of a TAINT_* mask, in bit order ("OE" for an out-of-tree unsigned module),
// as the kernel prints them after "Tainted:"; bits past the known ones as '?'.
std::string TaintLetters(uint64_t mask);

// Taint bits of the markers `ktriage mod` shows (include/linux/panic.h).
inline constexpr unsigned kTaintForcedModule = 1;
inline constexpr unsigned kTaintOutOfTree = 12;
inline constexpr unsigned kTaintUnsigned = 13;

// A function symbol: "pick_tx_pre", +0x19, of 0x40 bytes, in module "ktriage_test" ("" for vmlinux).
struct CodeSymbol {
  std::string function;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string module;
};

// Names addresses in modules with each module's own kallsyms (mod->kallsyms: the symbol table the
// module loader kept, already relocated), read from the dump once per module.
class ModuleSymbols {
 public:
  ModuleSymbols(const KernelContext& kernel, const ModuleList& modules) : k_(kernel), modules_(modules) {}
  // The function at `address`, or the module and offset when its symbols cannot be read.
  std::optional<CodeSymbol> Lookup(uint64_t address);
  // The variable (a static lock, a counter) whose bytes hold `address`; only the module (an empty
  // name) inside a module but no variable it lists; none outside every module.
  std::optional<CodeSymbol> LookupData(uint64_t address);

 private:
  struct Symbol {
    uint64_t value = 0, size = 0;
    std::string name;
  };
  struct Table {
    std::vector<Symbol> functions;  // STT_FUNC, sorted by value
    std::vector<Symbol> objects;    // STT_OBJECT, sorted by value
    std::vector<uint64_t> starts;   // every symbol's value, sorted: where the one before ends
  };
  const Table& Load(const LoadedModule& m);

  const KernelContext& k_;
  const ModuleList& modules_;
  std::map<uint64_t, Table> symbols_;  // by struct module address
};

}  // namespace ktriage::kernel
