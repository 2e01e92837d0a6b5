// UnwindFrameRecords follows the chain the kernel's own unwinder follows (arch/arm64/kernel/
// stacktrace.c), and adds what only a post-mortem reader can: the interrupted context's registers
// from pt_regs at each exception boundary, and the caller a leaf or a prologue has not linked yet.
#include "analyzer/kernel_state/frame_record_unwind.h"

#include "base/text.h"

namespace ktriage::kernel {
namespace {

// A frame pointer that moves this far (or down at all) has left its stack: the IRQ stack's chain
// continues on the task stack (call_on_irq_stack links them). Stacks are separate vmalloc areas
// with guard pages, so a switch is always a jump of at least one page; a few are allowed.
constexpr uint64_t kSameStack = 4096;
constexpr int kMaxStackSwitches = 4;

// Where exception entry saved the interrupted context: struct pt_regs, found from its frame record.
struct PtRegsLayout {
  uint64_t stackframe = 0, regs = 0, sp = 0, pc = 0, pstate = 0;
  bool known = false;
};

PtRegsLayout ReadPtRegsLayout(KernelTypes& types) {
  PtRegsLayout l;
  Result<uint64_t> stackframe = types.Offset("pt_regs", "stackframe"), regs = types.Offset("pt_regs", "regs");
  Result<uint64_t> sp = types.Offset("pt_regs", "sp"), pc = types.Offset("pt_regs", "pc");
  Result<uint64_t> pstate = types.Offset("pt_regs", "pstate");
  if (!stackframe || !regs || !sp || !pc || !pstate) return l;
  l = {*stackframe, *regs, *sp, *pc, *pstate, true};
  return l;
}

class FrameRecordWalk {
 public:
  FrameRecordWalk(const KernelContext& k, size_t max_frames, const DescribeCode& describe)
      : k_(k), max_frames_(max_frames), describe_(describe), pt_regs_(ReadPtRegsLayout(k.types)) {}

  Backtrace Run(const DwarfRegisters& start, bool start_exact) {
    const KernelArch& arch = k_.arch;
    if (!start[arch.pc] || !start[arch.sp]) {
      bt_.end = "no PC or stack pointer in the registers";
      return std::move(bt_);
    }
    const uint64_t pc = Strip(*start[arch.pc]);
    bt_.frames.push_back({pc, *start[arch.sp], start_exact, "registers"});
    uint64_t fp = start[arch.fp].value_or(0);
    if (arch.link_register) CallerFromLinkRegister(pc, start_exact, fp, *start[arch.sp], start[*arch.link_register]);
    Walk(fp);
    if (bt_.end.empty()) bt_.end = "stopped after " + std::to_string(max_frames_) + " frames";
    return std::move(bt_);
  }

 private:
  uint64_t Strip(uint64_t address) const { return StripPointerAuth(address, k_.pac_mask); }

  void Walk(uint64_t fp) {
    bool entry_below = false;  // the last frame is an exception vector stub: `fp` is in pt_regs
    int switches = 0;
    while (bt_.frames.size() < max_frames_) {
      if (fp == 0) return End("end of stack");
      if (fp % 8 != 0) return Stop("frame pointer " + HexString(fp) + " is not aligned");
      if (entry_below && pt_regs_.known) {
        entry_below = false;
        std::optional<uint64_t> next = ExceptionFrame(fp - pt_regs_.stackframe);
        if (!next) return;  // ended or stopped, and said why
        fp = *next;
        continue;
      }
      Result<uint64_t> next = k_.memory.ReadU64(fp), ret = k_.memory.ReadU64(fp + 8);
      if (!next) return Stop("frame record at " + HexString(fp) + " unreadable: " + next.error().message);
      if (!ret) return Stop("frame record at " + HexString(fp) + " unreadable: " + ret.error().message);
      // The final record, {0, 0}: where a kernel thread started or (before 6.13) where an EL0
      // exception entered the kernel.
      if (*next == 0 && *ret == 0) return End("end of stack");
      const uint64_t pc = Strip(*ret);
      bt_.frames.push_back({pc, fp, false, "fp"});
      if (k_.arch.is_exception_entry != nullptr) {
        std::optional<CodeSymbol> at = describe_(pc, false);
        entry_below = at && at->module.empty() && k_.arch.is_exception_entry(at->function);
      }
      const bool up_within_stack = *next > fp && *next - fp < kSameStack * 16;
      if (!up_within_stack) {
        if (*next <= fp && fp - *next < kSameStack) {
          return Stop("the frame pointer went down from " + HexString(fp) + " to " + HexString(*next));
        }
        if (++switches > kMaxStackSwitches) return Stop("more than " + std::to_string(kMaxStackSwitches) + " stack switches");
      }
      fp = *next;
    }
  }

  // The interrupted context saved at `regs`: its PC becomes a frame and its frame pointer the
  // next record; nullopt when the walk ends here (an entry from user mode) or cannot go on.
  std::optional<uint64_t> ExceptionFrame(uint64_t regs) {
    Result<uint64_t> pc = k_.memory.ReadU64(regs + pt_regs_.pc), sp = k_.memory.ReadU64(regs + pt_regs_.sp);
    Result<uint64_t> pstate = k_.memory.ReadU64(regs + pt_regs_.pstate);
    Result<uint64_t> x29 = k_.memory.ReadU64(regs + pt_regs_.regs + 8 * 29);
    Result<uint64_t> x30 = k_.memory.ReadU64(regs + pt_regs_.regs + 8 * 30);
    if (!pc || !sp || !pstate || !x29 || !x30) {
      Stop("exception frame at " + HexString(regs) + " unreadable");
      return std::nullopt;
    }
    // PSTATE.M[3:0] 0 is EL0t: the exception came from user space.
    if ((*pstate & 0xf) == 0 && *pc != 0) {
      End("user mode");
      return std::nullopt;
    }
    if (*pc == 0) {  // a kernel thread's initial pt_regs (copy_thread zeroes them)
      End("end of stack");
      return std::nullopt;
    }
    const uint64_t at = Strip(*pc);
    bt_.frames.push_back({at, *sp, true, "pt_regs"});
    CallerFromLinkRegister(at, true, *x29, *sp, *x30);
    return *x29;
  }

  // A function that has not linked its frame record (a leaf, a prologue, an epilogue) has its
  // caller only in the link register: list it when it names another function than `pc` and the
  // record at `fp` does not already return there.
  void CallerFromLinkRegister(uint64_t pc, bool exact, uint64_t fp, uint64_t sp, std::optional<uint64_t> lr) {
    if (!lr || *lr == 0 || bt_.frames.size() >= max_frames_) return;
    const uint64_t caller = Strip(*lr);
    std::optional<CodeSymbol> callee = describe_(pc, exact), at = describe_(caller, false);
    if (!callee || !at) return;
    if (callee->function == at->function && callee->module == at->module && pc - callee->offset == caller - at->offset)
      return;
    if (fp != 0) {
      if (Result<uint64_t> linked = k_.memory.ReadU64(fp + 8); linked && Strip(*linked) == caller) return;
    }
    bt_.frames.push_back({caller, sp, false, "lr"});
  }

  void End(std::string why) {
    bt_.complete = true;
    bt_.end = std::move(why);
  }
  void Stop(std::string why) {
    const StackFrame& last = bt_.frames.back();
    bt_.end = "stopped after " + HexString(last.pc) + ": " + why;
  }

  const KernelContext& k_;
  const size_t max_frames_;
  const DescribeCode& describe_;
  const PtRegsLayout pt_regs_;
  Backtrace bt_;
};

}  // namespace

Backtrace UnwindFrameRecords(const KernelContext& kernel, const DwarfRegisters& start, bool start_exact,
                             size_t max_frames, const DescribeCode& describe) {
  return FrameRecordWalk(kernel, max_frames, describe).Run(start, start_exact);
}

}  // namespace ktriage::kernel
