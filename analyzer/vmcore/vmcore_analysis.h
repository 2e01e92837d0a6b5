// ReadVmcore: everything ktriage knows about a dump without debuginfo: the VMCOREINFO facts,
// each CPU's registers and symbolized PC (kernel kallsyms), the panic, and the kernel log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/vmcore/printk_log.h"
#include "base/inlined_call.h"
#include "base/result.h"

namespace ktriage {

struct VmcoreCpu {
  int cpu = 0;
  std::optional<int> pid;         // of the task the CPU ran (NT_PRSTATUS pr_pid)
  std::optional<uint64_t> pc;
  std::string symbol;             // "netdev_pick_tx+0x27c/0x294" from kallsyms; "" when unknown
  std::string source;             // "net/core/dev.c:4214" from debuginfo; "" when not symbolized
  std::vector<InlinedCall> inlined;  // from debuginfo, innermost first
  bool panicked = false;          // this CPU called panic()
};

struct VmcoreFacts {
  std::string format;             // "elf", "diskdump", "flattened diskdump"...
  std::string compression;        // diskdump pages: "zlib", "lzo", "snappy", "zstd", "none"; "" for ELF
  std::string arch;
  bool arch_derived = false;
  std::string osrelease;
  std::string build_id;
  uint64_t page_size = 0;
  std::optional<int64_t> kernel_offset;
  std::optional<int64_t> crash_time;
  std::vector<VmcoreCpu> cpus;
  std::optional<int> panic_cpu;
  std::string panic_message;      // text of the last "Kernel panic - not syncing: " record
  std::string log_layout;         // "lockless", "structured", "structured-old", "" when unread
  uint64_t log_records = 0;
  uint64_t log_skipped = 0;       // descriptors not committed/finalized or reused
  size_t kallsyms_symbols = 0;
  std::string vmcoreinfo;         // the whole note
  std::vector<std::string> warnings;  // what could not be read, one line each
};

struct VmcoreContents {
  VmcoreFacts facts;
  std::optional<PrintkLog> log;   // absent when the log could not be read (see facts.warnings)
};

struct VmcoreReadOptions {
  // Decode kallsyms (to name each CPU's PC and find panic_cpu): tens of milliseconds on a 6.1
  // kernel, not needed to print the log.
  bool symbols = true;
};

// Opens the dump (one file or a split set) and reads what it can. An error only when the file is
// no usable dump at all; anything less (a log that cannot be read, a filtered page) becomes a
// warning so that the rest is still reported.
Result<VmcoreContents> ReadVmcore(const std::vector<std::string>& paths, const VmcoreReadOptions& options = {});

}  // namespace ktriage
