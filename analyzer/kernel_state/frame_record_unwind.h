// UnwindFrameRecords: a stack walked by its frame records (arm64: x29 points at {caller's x29,
// return address}), through exception entry (the record inside pt_regs) and onto other stacks,
// with pointer-authentication bits stripped and a leaf's caller taken from the link register.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "analyzer/kernel_state/kernel_context.h"
#include "analyzer/kernel_state/kernel_modules.h"
#include "analyzer/kernel_state/stack_unwinder.h"

namespace ktriage::kernel {

// The function `pc` lies in (the unwinder's Describe); `exact`: not a return address.
using DescribeCode = std::function<std::optional<CodeSymbol>(uint64_t pc, bool exact)>;

// `start`: the PC, SP, frame pointer and (if known) link register; `start_exact`: the PC is where
// the CPU was, not a return address.
Backtrace UnwindFrameRecords(const KernelContext& kernel, const DwarfRegisters& start, bool start_exact,
                             size_t max_frames, const DescribeCode& describe);

}  // namespace ktriage::kernel
