// ORC, the x86-64 kernel's own unwind tables (objtool writes them for every function, entry
// code included): the fallback where DWARF CFI ends, read from the dump's memory for vmlinux and
// for each module, in each of the three entry formats (4.14..6.2, 6.3, 6.4 and later).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/kernel_modules.h"

namespace ktriage::kernel {

// The entry formats, as drgn numbers them. Kernels backport the newer ones (vendor 5.14 and 6.1
// trees), so the format is read from the kernel itself: its .orc_header hash (6.3.10 and later),
// else which members its struct orc_entry has, else its release.
enum class OrcFormat {
  kV1 = 1,  // 4.14..6.2: type:2 (CALL, REGS, REGS_PARTIAL), end:1; sp_reg UNDEFINED = undefined/end
  kV2 = 2,  // 6.3: type:2, signal:1, end:1
  kV3 = 3,  // 6.4 and later: type:3 (UNDEFINED, END_OF_STACK, CALL, REGS, REGS_PARTIAL), signal:1
};

struct OrcFormatChoice {
  OrcFormat format = OrcFormat::kV1;
  std::string source;  // how it was told: ".orc_header", "struct orc_entry", "release 6.1.0-..."
};

// Every format decoded into one form.
struct OrcEntry {
  enum class Type { kUndefined, kEndOfStack, kCall, kRegs, kRegsPartial };
  int16_t sp_offset = 0;
  int16_t bp_offset = 0;
  unsigned sp_reg = 0;
  unsigned bp_reg = 0;
  Type type = Type::kUndefined;
  bool signal = false;  // the frame was interrupted: its IP is exact, not a return address
};

// The 6 raw bytes of one entry in `format`.
OrcEntry DecodeOrcEntry(const unsigned char* p, OrcFormat format);

// The 20-byte .orc_header hash -> format; nullopt for a hash not known here.
std::optional<OrcFormat> OrcFormatFromHeader(const unsigned char* hash20);

// What an unwinding step knows of a frame's registers.
struct UnwindState {
  uint64_t ip = 0;
  uint64_t sp = 0;
  std::optional<uint64_t> bp;
  bool exact_ip = false;      // an interrupted or first PC, not a return address (no -1 on lookup)
  uint64_t regs = 0;          // the pt_regs on the stack this frame came out of (0: none)
  bool full_regs = false;     // all of pt_regs were saved (not only the iret frame)
};

enum class OrcResult { kStepped, kEnd, kNoEntry, kUnreadable, kUnsupported };

class OrcUnwinder {
 public:
  OrcUnwinder(const KernelContext& kernel, const ModuleList& modules);

  // The entry format of this kernel (told once, on first use).
  const OrcFormatChoice& Format();

  // One frame up from `state`; `why` says what stopped it.
  OrcResult Step(UnwindState& state, std::string* why);
  // The entry covering `ip` (already adjusted for return addresses).
  std::optional<OrcEntry> Find(uint64_t ip, std::string* why);

 private:
  struct Table {
    std::vector<uint64_t> ips;  // absolute, sorted
    std::vector<unsigned char> entries;
    std::string error;          // why it could not be read
  };
  const Table& KernelTable();
  bool InKernelText(uint64_t ip);

 public:
  // ftrace trampolines are copies of ftrace_caller / ftrace_regs_caller: their ORC is the
  // original's at the same offset (as the kernel's orc_ftrace_find does).
  struct FtraceCopy {
    uint64_t original = 0;     // the same instruction in ftrace_caller / ftrace_regs_caller
    uint64_t start = 0, size = 0;  // the trampoline
  };
  std::optional<FtraceCopy> FtraceOriginal(uint64_t ip);

 private:
  const Table& ModuleTable(const LoadedModule& m);
  bool Read(uint64_t address, uint64_t* value);
  bool RegsField(const UnwindState& s, const char* field, uint64_t* value);

  const KernelContext& k_;
  const ModuleList& modules_;
  std::optional<OrcFormatChoice> format_;
  std::optional<Table> kernel_;
  std::map<uint64_t, Table> module_tables_;  // by struct module address
  std::map<std::string, uint64_t> pt_regs_;  // field -> offset
  std::optional<std::vector<std::pair<uint64_t, uint64_t>>> text_;  // _stext.._etext, _sinittext.._einittext
  struct Trampoline {
    uint64_t start = 0, size = 0;
    bool save_regs = false;
  };
  std::optional<std::vector<Trampoline>> trampolines_;
};

}  // namespace ktriage::kernel
