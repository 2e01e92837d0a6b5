// Assembles the facts of a dump from its readers; each reader's failure is kept as a warning so
// that one damaged structure never hides the others.
#include "analyzer/vmcore/vmcore_analysis.h"

#include <cstdio>

#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/kallsyms.h"

namespace ktriage {
namespace {

std::string SymbolText(const SymbolLocation& s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "+0x%llx/0x%llx", static_cast<unsigned long long>(s.offset),
                static_cast<unsigned long long>(s.size));
  return s.name + buf;
}

const char* LayoutName(PrintkLog::Layout l) {
  switch (l) {
    case PrintkLog::Layout::kLockless: return "lockless";
    case PrintkLog::Layout::kStructured: return "structured";
    case PrintkLog::Layout::kStructuredOld: return "structured-old";
  }
  return "";
}

}  // namespace

Result<VmcoreContents> ReadVmcore(const std::vector<std::string>& paths, const VmcoreReadOptions& options) {
  auto dump = DumpFile::Open(paths);
  if (!dump.ok()) return dump.error();
  DumpFile& d = **dump;
  VmcoreContents out;
  VmcoreFacts& f = out.facts;
  const VmcoreInfo& vi = d.vmcoreinfo();
  f.format = d.facts().format;
  f.compression = d.facts().compression;
  f.arch = d.facts().arch;
  f.arch_derived = d.facts().arch_derived;
  f.osrelease = vi.osrelease;
  f.build_id = vi.build_id;
  f.page_size = vi.page_size ? vi.page_size : d.facts().page_size;
  f.kernel_offset = vi.kernel_offset;
  f.crash_time = vi.crash_time;
  f.vmcoreinfo = vi.text;
  f.warnings = d.facts().warnings;

  std::optional<Kallsyms> syms;
  if (!options.symbols) {
    // Asked not to: no warning, the caller knows.
  } else if (auto k = Kallsyms::Load(d, vi); k.ok()) {
    syms = std::move(*k);
    f.kallsyms_symbols = syms->size();
  } else {
    f.warnings.push_back("kallsyms: " + k.error().message);
  }

  // panic_cpu is an atomic_t set by the CPU that entered panic(); -1 (PANIC_CPU_INVALID) otherwise.
  if (syms) {
    if (auto addr = syms->AddressOf("panic_cpu")) {
      if (auto v = d.ReadU32(*addr); v.ok()) {
        int32_t cpu = static_cast<int32_t>(*v);
        if (cpu >= 0 && static_cast<size_t>(cpu) < 8192) f.panic_cpu = cpu;
      } else {
        f.warnings.push_back("panic_cpu: " + v.error().message);
      }
    }
  }

  for (const CpuState& c : d.facts().cpus) {
    VmcoreCpu vc;
    vc.cpu = c.cpu;
    vc.pid = c.pid;
    vc.pc = c.pc;
    if (syms && c.pc) {
      if (auto s = syms->Lookup(*c.pc)) vc.symbol = SymbolText(*s);
    }
    vc.panicked = f.panic_cpu && *f.panic_cpu == c.cpu;
    f.cpus.push_back(std::move(vc));
  }

  if (auto log = ReadPrintkLog(d, vi); log.ok()) {
    f.log_layout = LayoutName(log->layout);
    f.log_records = log->records.size();
    f.log_skipped = log->skipped_records;
    for (const auto& w : log->warnings) f.warnings.push_back("printk log: " + w);
    constexpr std::string_view kPanic = "Kernel panic - not syncing: ";
    for (auto it = log->records.rbegin(); it != log->records.rend(); ++it) {
      size_t at = it->text.find(kPanic);
      // "---[ end Kernel panic - not syncing: ... ]---" repeats the message with a trailer.
      if (at != std::string::npos && it->text.rfind("---[ end", 0) != 0) {
        f.panic_message = it->text.substr(at + kPanic.size());
        break;
      }
    }
    out.log = std::move(*log);
  } else {
    f.warnings.push_back("printk log: " + log.error().message);
  }
  return out;
}

}  // namespace ktriage
