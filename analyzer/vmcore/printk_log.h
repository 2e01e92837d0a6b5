// Reads the kernel log out of a dump: the lockless printk ring buffer (5.10+) and the structured
// log_buf (3.5 to 5.9, "printk_log", or "log" before 3.11), using only VMCOREINFO and memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/printk_caller.h"
#include "analyzer/vmcore/memory_reader.h"
#include "analyzer/vmcore/vmcoreinfo.h"
#include "base/result.h"

namespace ktriage {

struct PrintkRecord {
  uint64_t sequence = 0;
  uint64_t timestamp_ns = 0;  // local_clock() at printk time
  uint8_t level = 0;          // 0..7
  uint8_t facility = 0;
  Caller caller;              // T<pid> / C<cpu>: every record carries one in 5.10+ (CONFIG_PRINTK_CALLER or not)
  std::string text;           // may hold '\n' for multi-line records; never a trailing '\n'

  bool operator==(const PrintkRecord&) const = default;
};

struct PrintkLog {
  enum class Layout : uint8_t { kLockless, kStructured, kStructuredOld };
  Layout layout = Layout::kLockless;
  std::vector<PrintkRecord> records;   // in sequence order
  // Descriptors skipped because they were reserved but not committed/finalized, or reused.
  uint64_t skipped_records = 0;
  // Things a reader should know (a corrupt descriptor, a data block out of range...), one line each.
  std::vector<std::string> warnings;

  bool operator==(const PrintkLog&) const = default;
};

// Detects the layout from VMCOREINFO (SYMBOL(prb) vs SYMBOL(log_buf)) and reads every record.
// Bounded by the ring's own sizes: never loops on corrupt data, never invents a record.
Result<PrintkLog> ReadPrintkLog(MemoryReader& memory, const VmcoreInfo& info);

// Renders records the way `makedumpfile --dump-dmesg` prints them ("[    1.954573] text"),
// optionally with the caller id ("[    1.954573][  T123] text"), one line per text line.
std::string FormatPrintkLog(const PrintkLog& log, bool with_caller);

}  // namespace ktriage
