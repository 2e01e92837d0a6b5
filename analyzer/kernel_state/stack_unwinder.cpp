// StackUnwinder: ORC steps one frame at a time from a register set; where ORC has no entry,
// libdwfl runs one frame of CFI (its thread callbacks hand it the registers and the dump's
// memory), and ORC goes on from there.
#include "analyzer/kernel_state/stack_unwinder.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "analyzer/kernel_state/frame_record_unwind.h"
#include "analyzer/kernel_state/orc_unwind.h"
#include "base/text.h"

namespace ktriage::kernel {
namespace {

// The module's userdata is the vmlinux path (set after dwfl_report_module).
int FindVmlinux(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr, char** file_name, Elf**) {
  const char* path = static_cast<const char*>(*userdata);
  if (path == nullptr) return -1;
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) *file_name = strdup(path);
  return fd;
}

const Dwfl_Callbacks kCallbacks = {
    FindVmlinux,
    dwfl_standard_find_debuginfo,     // vmlinux carries its own DWARF
    dwfl_offline_section_address,
    nullptr,
};

// The span of vmlinux's PT_LOAD segments, as linked.
std::optional<std::pair<uint64_t, uint64_t>> LoadSpan(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  std::optional<std::pair<uint64_t, uint64_t>> span;
  size_t count = 0;
  if (elf != nullptr && elf_getphdrnum(elf, &count) == 0) {
    for (size_t i = 0; i < count; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_LOAD) continue;
      // The kernel's per-CPU segment is linked at 0: not part of the text's span.
      if (ph.p_vaddr == 0) continue;
      if (!span) span = std::make_pair(ph.p_vaddr, ph.p_vaddr + ph.p_memsz);
      span->first = std::min<uint64_t>(span->first, ph.p_vaddr);
      span->second = std::max<uint64_t>(span->second, ph.p_vaddr + ph.p_memsz);
    }
  }
  if (elf != nullptr) elf_end(elf);
  ::close(fd);
  return span;
}

}  // namespace

DwarfRegisters RegistersFromNames(const KernelArch& arch, const std::map<std::string, uint64_t>& named) {
  DwarfRegisters regs;
  for (size_t i = 0; i < regs.size() && i < arch.registers.size(); ++i) {
    if (auto it = named.find(std::string(arch.registers[i].dump_name)); it != named.end()) regs[i] = it->second;
  }
  return regs;
}

struct StackUnwinder::Impl {
  Impl(const KernelContext& kernel, const ModuleList& modules) : k(kernel), orc(kernel, modules) {}
  ~Impl() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }

  const KernelContext& k;
  OrcUnwinder orc;
  Dwfl* dwfl = nullptr;
  std::string path;  // vmlinux, which FindVmlinux opens
  // The register set the next CFI segment starts from (set_initial_registers reads it).
  DwarfRegisters start;
  // What the segment's frames were.
  struct SegmentFrame {
    uint64_t pc = 0;
    bool activation = false;
    DwarfRegisters regs;
  };
  std::vector<SegmentFrame> segment;
  size_t segment_limit = 0;

  static pid_t NextThread(Dwfl*, void*, void**) { return 0; }
  static bool GetThread(Dwfl*, pid_t, void* dwfl_arg, void** thread_arg) {
    *thread_arg = dwfl_arg;
    return true;
  }
  static bool MemoryRead(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
    Result<uint64_t> v = static_cast<Impl*>(arg)->k.memory.ReadU64(addr);
    if (!v) return false;
    *result = *v;
    return true;
  }
  static bool SetInitialRegisters(Dwfl_Thread* thread, void* arg) {
    const Impl& self = *static_cast<Impl*>(arg);
    const unsigned kRip = self.k.arch.pc;
    for (unsigned r = 0; r < kRip; ++r) {
      if (!self.start[r]) continue;
      const Dwarf_Word value = *self.start[r];
      if (!dwfl_thread_state_registers(thread, static_cast<int>(r), 1, &value)) return false;
    }
    if (!self.start[kRip]) return false;
    dwfl_thread_state_register_pc(thread, *self.start[kRip]);
    return true;
  }
  static int OnFrame(Dwfl_Frame* frame, void* arg) {
    Impl& self = *static_cast<Impl*>(arg);
    SegmentFrame f;
    if (!dwfl_frame_pc(frame, &f.pc, &f.activation)) return DWARF_CB_ABORT;
    for (unsigned r = 0; r < self.k.arch.pc; ++r) {
      Dwarf_Word v;
      if (dwfl_frame_reg(frame, r, &v) == 0) f.regs[r] = v;
    }
    f.regs[self.k.arch.pc] = f.pc;
    self.segment.push_back(f);
    // Outside vmlinux (a module) there is no CFI, and libdwfl's fallback would follow RBP as a
    // frame pointer, which this kernel does not keep: ORC goes on from here instead.
    const Dwarf_Addr lookup = f.activation ? f.pc : f.pc - 1;
    if (dwfl_addrmodule(self.dwfl, lookup) == nullptr) return DWARF_CB_ABORT;
    return self.segment.size() >= self.segment_limit ? DWARF_CB_ABORT : DWARF_CB_OK;
  }

  // CFI from `start` until libdwfl stops or `limit` frames; the frames are in `segment`.
  void CfiSegment(const DwarfRegisters& from, size_t limit) {
    start = from;
    segment.clear();
    segment_limit = limit;
    if (dwfl == nullptr || !cfi) return;
    (void)dwfl_getthread_frames(dwfl, 1, &Impl::OnFrame, this);
  }
  bool cfi = false;  // libdwfl's thread state is attached (x86-64 with a vmlinux)
};

StackUnwinder::StackUnwinder(const KernelContext& kernel, const ModuleList& modules)
    : module_symbols_(kernel, modules), impl_(std::make_unique<Impl>(kernel, modules)) {}

std::optional<CodeSymbol> StackUnwinder::Describe(uint64_t pc, bool exact) {
  const uint64_t lookup = exact ? pc : pc - 1;
  std::optional<CodeSymbol> in_module = module_symbols_.Lookup(lookup);
  if (in_module) {
    in_module->offset += pc - lookup;
    return in_module;
  }
  // The dump's kallsyms first: its sizes are the ones the kernel printed in the log.
  if (kallsyms_ != nullptr) {
    if (std::optional<SymbolLocation> sym = kallsyms_->Lookup(lookup))
      return CodeSymbol{sym->name, sym->offset + (pc - lookup), sym->size, ""};
  }
  if (impl_->dwfl != nullptr) {
    if (Dwfl_Module* m = dwfl_addrmodule(impl_->dwfl, lookup)) {
      GElf_Off offset = 0;
      GElf_Sym sym;
      if (const char* name = dwfl_module_addrinfo(m, lookup, &offset, &sym, nullptr, nullptr, nullptr))
        return CodeSymbol{name, offset + (pc - lookup), sym.st_size, ""};
    }
  }
  if (auto copy = impl_->orc.FtraceOriginal(lookup)) return CodeSymbol{"ftrace_trampoline", pc - copy->start, copy->size, ""};
  return std::nullopt;
}

std::optional<CodeSymbol> StackUnwinder::DescribeData(uint64_t address) {
  if (std::optional<CodeSymbol> in_module = module_symbols_.LookupData(address)) return in_module;
  if (kallsyms_ == nullptr) return std::nullopt;
  std::optional<SymbolLocation> sym = kallsyms_->Lookup(address);
  // Data, read-only data and bss letters; the distance to the next symbol bounds the variable.
  if (!sym || std::string_view("dDbBrR").find(sym->type) == std::string_view::npos) return std::nullopt;
  if (sym->size != 0 && sym->offset >= sym->size) return std::nullopt;
  return CodeSymbol{sym->name, sym->offset, sym->size, ""};
}

StackUnwinder::~StackUnwinder() = default;

Result<std::unique_ptr<StackUnwinder>> StackUnwinder::Create(const KernelContext& kernel, const ModuleList& modules,
                                                             const std::string& vmlinux, DumpKallsyms* kallsyms) {
  std::unique_ptr<StackUnwinder> u(new StackUnwinder(kernel, modules));
  u->kallsyms_ = kallsyms;
  if (vmlinux.empty()) return u;  // ORC or frame records, and kallsyms for names
  Impl& impl = *u->impl_;
  impl.path = vmlinux;
  std::optional<std::pair<uint64_t, uint64_t>> span = LoadSpan(vmlinux);
  if (!span) return Error{vmlinux + ": no loadable segments"};
  impl.dwfl = dwfl_begin(&kCallbacks);
  if (impl.dwfl == nullptr) return Error{std::string("libdwfl: ") + dwfl_errmsg(-1)};
  // Reported where KASLR put it, so that libdwfl sees the addresses the dump's stacks hold: an
  // ET_EXEC kernel reported away from its link address is relocated like an ET_DYN.
  const uint64_t slide = static_cast<uint64_t>(kernel.kernel_offset);
  Dwfl_Module* module = dwfl_report_module(impl.dwfl, "kernel", span->first + slide, span->second + slide);
  if (module == nullptr) return Error{vmlinux + ": " + dwfl_errmsg(-1)};
  void** userdata = nullptr;
  dwfl_module_info(module, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  *userdata = const_cast<char*>(impl.path.c_str());
  dwfl_report_end(impl.dwfl, nullptr, nullptr);
  GElf_Addr bias = 0;
  if (dwfl_module_getelf(module, &bias) == nullptr) return Error{vmlinux + ": " + dwfl_errmsg(-1)};
  // Frame records need libdwfl only to name functions.
  if (kernel.arch.stack_walk != KernelArch::StackWalk::kOrcThenCfi) return u;
  static const Dwfl_Thread_Callbacks thread_callbacks = {
      &Impl::NextThread, &Impl::GetThread, &Impl::MemoryRead, &Impl::SetInitialRegisters, nullptr, nullptr,
  };
  if (!dwfl_attach_state(impl.dwfl, nullptr, 1, &thread_callbacks, &impl))
    return Error{std::string("libdwfl cannot unwind this kernel: ") + dwfl_errmsg(-1)};
  impl.cfi = true;
  return u;
}

Backtrace StackUnwinder::Unwind(const DwarfRegisters& start, size_t max_frames, bool start_exact) {
  Impl& impl = *impl_;
  const KernelArch& arch = impl.k.arch;
  if (arch.stack_walk == KernelArch::StackWalk::kFrameRecords) {
    return UnwindFrameRecords(impl.k, start, start_exact, max_frames,
                              [this](uint64_t pc, bool exact) { return Describe(pc, exact); });
  }
  const unsigned kRip = arch.pc, kRsp = arch.sp, kRbp = arch.fp;
  Backtrace bt;
  if (!start[kRip] || !start[kRsp]) {
    bt.end = "no PC or stack pointer in the registers";
    return bt;
  }
  bt.frames.push_back({*start[kRip], *start[kRsp], start_exact, "registers"});
  DwarfRegisters regs = start;
  bool exact = start_exact;  // the PC of `regs` is exact (not a return address)
  UnwindState state;
  while (bt.frames.size() < max_frames) {
    state = UnwindState{};
    state.ip = *regs[kRip];
    state.sp = regs[kRsp] ? *regs[kRsp] : 0;
    state.bp = regs[kRbp];
    state.exact_ip = exact;
    const uint64_t old_sp = state.sp;
    std::string why;
    const OrcResult r = impl.orc.Step(state, &why);
    if (r == OrcResult::kNoEntry || r == OrcResult::kUnsupported) {
      // CFI for the one frame ORC does not cover (no entry, an undefined one, a register it needs
      // that was not saved). libdwfl looks a return address up at PC-1 only after its first
      // frame, so hand it the call instruction itself.
      DwarfRegisters from = regs;
      if (!exact) from[kRip] = *regs[kRip] - 1;
      impl.CfiSegment(from, 2);
      if (impl.segment.size() > 1 && impl.segment[1].pc != 0) {
        const Impl::SegmentFrame& f = impl.segment[1];
        bt.frames.push_back({f.pc, f.regs[kRsp] ? *f.regs[kRsp] : 0, false, "cfi"});
        regs = f.regs;
        exact = false;
        continue;
      }
    }
    if (r == OrcResult::kEnd) {
      bt.complete = true;
      bt.end = why.empty() ? "end of stack" : why;
      break;
    }
    if (r != OrcResult::kStepped) {
      bt.end = "stopped after " + HexString(*regs[kRip]) + ": " + why;
      break;
    }
    if (state.ip == 0) {
      bt.complete = true;
      bt.end = "end of stack";
      break;
    }
    // A stack pointer that goes down within one stack means a loop (stack switches jump far).
    if (state.sp <= old_sp && old_sp - state.sp < 0x10000) {
      bt.end = "stopped after " + HexString(*regs[kRip]) + ": the stack pointer did not move up";
      break;
    }
    bt.frames.push_back({state.ip, state.sp, state.exact_ip, state.regs != 0 ? "pt_regs" : "orc"});
    regs = DwarfRegisters{};
    if (state.regs != 0 && state.full_regs) {
      // The interrupted context's whole register set, for CFI to start from.
      for (size_t i = 0; i < kRip && i < arch.registers.size(); ++i) {
        if (arch.registers[i].pt_regs_member.empty()) continue;
        if (auto off = impl.k.types.Offset("pt_regs", arch.registers[i].pt_regs_member)) {
          if (auto v = impl.k.memory.ReadU64(state.regs + *off)) regs[i] = *v;
        }
      }
    }
    regs[kRip] = state.ip;
    regs[kRsp] = state.sp;
    if (state.bp) regs[kRbp] = state.bp;
    exact = state.exact_ip;
  }
  if (bt.end.empty()) bt.end = "stopped after " + std::to_string(max_frames) + " frames";
  return bt;
}

// x86-64's switch frame (arch/x86/include/asm/switch_to.h): the callee-saved registers
// __switch_to_asm pushed, by DWARF number, then the return address into __schedule. arm64's
// cpu_switch_to keeps fp, sp and its return address into __switch_to in the task instead.
Result<Backtrace> StackUnwinder::UnwindSleeping(const TaskInfo& task, size_t max_frames) {
  const KernelArch& arch = impl_->k.arch;
  const unsigned kRip = arch.pc, kRsp = arch.sp;
  if (task.saved_sp == 0) return Error{"pid " + std::to_string(task.pid) + ": no saved stack pointer"};
  if (!arch.saved_pc_member.empty()) {
    if (task.saved_pc == 0) return Error{"pid " + std::to_string(task.pid) + ": no saved PC"};
    DwarfRegisters regs;
    regs[kRip] = task.saved_pc;
    regs[kRsp] = task.saved_sp;
    regs[arch.fp] = task.saved_fp;
    return Unwind(regs, max_frames, false);
  }
  Result<KernelObject> frame = impl_->k.Object("inactive_task_frame", task.saved_sp);
  if (!frame) return Error{"pid " + std::to_string(task.pid) + ": " + frame.error().message};
  Result<uint64_t> size = impl_->k.types.SizeOf("inactive_task_frame");
  DwarfRegisters regs;
  static const std::pair<const char*, int> kSaved[] = {{"r15", 15}, {"r14", 14}, {"r13", 13}, {"r12", 12},
                                                       {"bx", 3},   {"bp", 6}};
  for (const auto& [field, reg] : kSaved) {
    if (auto v = frame->Unsigned(field)) regs[static_cast<size_t>(reg)] = *v;
  }
  Result<uint64_t> ret = frame->Unsigned("ret_addr");
  if (!ret || !size) return Error{"pid " + std::to_string(task.pid) + ": unreadable switch frame"};
  regs[kRip] = *ret;
  regs[kRsp] = task.saved_sp + *size;
  return Unwind(regs, max_frames, false);  // ret_addr: a return address into __schedule
}

}  // namespace ktriage::kernel
