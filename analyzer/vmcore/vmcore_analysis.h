// ReadVmcore: everything ktriage knows about a dump without debuginfo: the VMCOREINFO facts,
// each CPU's registers and symbolized PC (kernel kallsyms), the panic, and the kernel log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/vmcore/dump_file.h"
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

  bool operator==(const VmcoreCpu&) const = default;
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
  // The CPU that called panic(): the caller id of the panic record (C<cpu>, or T<pid> of the task
  // one CPU's note shows running), else the kernel's panic_cpu variable found through kallsyms.
  std::optional<int> panic_cpu;
  std::string panic_message;      // text of the last "Kernel panic - not syncing: " record
  std::string log_layout;         // "lockless", "structured", "structured-old", "" when unread
  uint64_t log_records = 0;
  uint64_t log_skipped = 0;       // descriptors not committed/finalized or reused
  size_t kallsyms_symbols = 0;
  std::string vmcoreinfo;         // the whole note
  std::vector<std::string> warnings;  // what could not be read, one line each

  bool operator==(const VmcoreFacts&) const = default;
};

struct VmcoreContents {
  VmcoreFacts facts;
  std::optional<PrintkLog> log;   // absent when the log could not be read (see facts.warnings)

  bool operator==(const VmcoreContents&) const = default;
};

// Where the reader program is when the caller does not say: the one built beside this library.
// The ktriage binary passes the one installed beside itself.
inline constexpr const char* kBuiltDumpReader = KTRIAGE_DUMP_READER;

struct VmcoreReadOptions {
  // Name each CPU's PC from kallsyms (a few pages of the dump each), and find panic_cpu by name
  // when the log does not tell (all of kallsyms_names: ~14 ms); not needed to print the log.
  bool symbols = true;
  // Read the dump in the reader process (ktriage-dump-reader, started with posix_spawn on the
  // already opened files) and take the result from it: a crash or hang of libkdumpfile on a
  // corrupt dump becomes an error. Off only where the caller wants the crash itself (fuzzers) or
  // compares the two ways (tests).
  bool isolate = true;
  std::string reader = kBuiltDumpReader;
  std::string temp_dir = "/tmp";  // where a flattened dump is rebuilt
};

// Reads what it can of the dump (one file or a split set). An error only when the file is no
// usable dump at all; anything less (a log that cannot be read, a filtered page) becomes a
// warning so that the rest is still reported.
Result<VmcoreContents> ReadVmcore(const std::vector<DumpFileHandle>& files, const VmcoreReadOptions& options = {});
// Opens the files by path first.
Result<VmcoreContents> ReadVmcore(const std::vector<std::string>& paths, const VmcoreReadOptions& options = {});

// The reader program's work: `args` are its arguments, the files are its descriptors 3, 4, ...
// Writes the encoded result (or an error's message) to `out_fd`; returns the exit status.
int RunDumpReader(const std::vector<std::string>& args, int out_fd);

}  // namespace ktriage
