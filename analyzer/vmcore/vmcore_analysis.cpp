// Assembles the facts of a dump from its readers; each reader's failure is kept as a warning so
// that one damaged structure never hides the others.
#include "analyzer/vmcore/vmcore_analysis.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/kallsyms.h"
#include "analyzer/vmcore/vmcore_wire.h"
#include "base/helper_process.h"

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

constexpr std::string_view kPanic = "Kernel panic - not syncing: ";

// The last panic record: "---[ end Kernel panic - not syncing: ... ]---" repeats the message
// with a trailer and is not one.
std::optional<size_t> FindPanicRecord(const PrintkLog& log) {
  for (size_t i = log.records.size(); i-- > 0;) {
    const std::string& text = log.records[i].text;
    if (text.find(kPanic) != std::string::npos && text.rfind("---[ end", 0) != 0) return i;
  }
  return std::nullopt;
}

// The CPU of dump_stack()'s header, "CPU: 1 PID: 1 Comm: init ..." ("CPU: 1 UID: 0 PID: 1 ..."
// since 6.12), when it names task `pid`.
std::optional<int> CpuOfStackHeader(std::string_view text, uint32_t pid) {
  auto number = [](std::string_view& s) -> std::optional<uint64_t> {
    uint64_t v = 0;
    size_t n = 0;
    for (; n < s.size() && n < 10 && s[n] >= '0' && s[n] <= '9'; ++n) v = v * 10 + static_cast<uint64_t>(s[n] - '0');
    if (n == 0) return std::nullopt;
    s.remove_prefix(n);
    return v;
  };
  if (!text.starts_with("CPU: ")) return std::nullopt;
  text.remove_prefix(5);
  const std::optional<uint64_t> cpu = number(text);
  const size_t at = text.find(" PID: ");
  if (!cpu || at == std::string_view::npos || at > 16) return std::nullopt;
  text.remove_prefix(at + 6);
  const std::optional<uint64_t> task = number(text);
  if (!task || *task != pid || *cpu >= 8192) return std::nullopt;
  return static_cast<int>(*cpu);
}

// panic() prints its message on the CPU that won panic_cpu, so the record's caller id names it:
// C<cpu> directly; T<pid> through the "CPU: N PID: pid" header the same task printed with the
// stack right after (panic's dump_stack) or before (the oops that led to the panic). Not through
// the NT_PRSTATUS pr_pid: QEMU writes its vCPU number + 1 there, not a Linux pid.
std::optional<int> PanicCpuOfRecord(const PrintkLog& log, size_t panic) {
  const Caller caller = log.records[panic].caller;
  if (caller.kind == Caller::Kind::kCpu) return static_cast<int>(caller.id);
  if (caller.kind != Caller::Kind::kThread) return std::nullopt;
  constexpr size_t kAfter = 64, kBefore = 512;  // a stack dump, an oops report
  for (size_t i = panic + 1; i < log.records.size() && i <= panic + kAfter; ++i) {
    if (log.records[i].caller != caller) continue;
    if (auto cpu = CpuOfStackHeader(log.records[i].text, caller.id)) return cpu;
  }
  for (size_t i = panic; i-- > 0 && panic - i <= kBefore;) {
    if (log.records[i].caller != caller) continue;
    if (auto cpu = CpuOfStackHeader(log.records[i].text, caller.id)) return cpu;
  }
  return std::nullopt;
}

Result<VmcoreContents> ReadInThisProcess(const std::vector<DumpFileHandle>& files, const VmcoreReadOptions& options) {
  DumpOpenOptions open_options;
  open_options.temp_dir = options.temp_dir;
  auto dump = DumpFile::Open(files, open_options);
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

  if (auto log = ReadPrintkLog(d, vi); log.ok()) {
    f.log_layout = LayoutName(log->layout);
    f.log_records = log->records.size();
    f.log_skipped = log->skipped_records;
    for (const auto& w : log->warnings) f.warnings.push_back("printk log: " + w);
    if (std::optional<size_t> panic = FindPanicRecord(*log)) {
      const std::string& text = log->records[*panic].text;
      f.panic_message = text.substr(text.find(kPanic) + kPanic.size());
      f.panic_cpu = PanicCpuOfRecord(*log, *panic);
    }
    out.log = std::move(*log);
  } else {
    f.warnings.push_back("printk log: " + log.error().message);
  }

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
  // Finding it by name reads every kallsyms name, so only when the log did not tell.
  if (syms && !f.panic_cpu) {
    if (auto found = syms->AddressOfOrError("panic_cpu"); !found.ok()) {
      f.warnings.push_back("kallsyms: panic_cpu: " + found.error().message);
    } else if (auto addr = *found) {
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
      if (auto s = syms->LookupOrError(*c.pc); !s.ok()) {
        f.warnings.push_back("kallsyms: CPU " + std::to_string(c.cpu) + ": " + s.error().message);
      } else if (*s) {
        vc.symbol = SymbolText(**s);
      }
    }
    vc.panicked = f.panic_cpu && *f.panic_cpu == c.cpu;
    f.cpus.push_back(std::move(vc));
  }
  return out;
}

// The reader has its own copy of everything, so nothing it reads can outlive it: generous.
constexpr std::chrono::milliseconds kReadTimeout{300'000};

// The reader's exit status: its output is the result, or the message of an error.
constexpr int kReaderOk = 0;
constexpr int kReaderError = 3;
constexpr int kReaderUsage = 2;
constexpr int kFirstFileFd = 3;

void WriteAllTo(int fd, const std::string& bytes) {
  for (size_t off = 0; off < bytes.size();) {
    const ssize_t put = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return;  // ktriage is gone or gave up: nobody to tell
    off += static_cast<size_t>(put);
  }
}

}  // namespace

Result<VmcoreContents> ReadVmcore(const std::vector<std::string>& paths, const VmcoreReadOptions& options) {
  Result<std::vector<DumpFileHandle>> files = OpenDumpFiles(paths);
  if (!files) return files.error();
  return ReadVmcore(*files, options);
}

Result<VmcoreContents> ReadVmcore(const std::vector<DumpFileHandle>& files, const VmcoreReadOptions& options) {
  if (files.empty()) return Error{"no dump file given"};
  if (!options.isolate) return ReadInThisProcess(files, options);
  const std::string label = DumpLabel(files);
  HelperCommand command;
  command.program = options.reader;
  if (!options.symbols) command.args.push_back("--no-symbols");
  command.args.push_back("--temp-dir");
  command.args.push_back(options.temp_dir);
  command.args.push_back("--");
  for (const DumpFileHandle& f : files) {
    command.args.push_back(f.name);
    command.fds.push_back(f.fd.get());
  }
  command.timeout = kReadTimeout;
  Result<HelperOutcome> run = RunHelper(command);
  if (!run) return Error{label + ": " + run.error().message};
  switch (run->end) {
    case HelperOutcome::End::kTimedOut:
      return Error{label + ": libkdumpfile did not finish reading this dump in " +
                   std::to_string(kReadTimeout.count() / 1000) + " s"};
    case HelperOutcome::End::kSignaled:
      return Error{label + ": libkdumpfile crashed reading this dump (" + std::string(strsignal(run->signal)) +
                   "): the file is corrupt"};
    case HelperOutcome::End::kExited:
      break;
  }
  if (run->exit_status == kReaderOk) return DecodeVmcoreContents(run->output);
  if (run->exit_status == kReaderError) return Error{run->output};
  std::string output = std::move(run->output);
  if (output.size() > 4096) output.resize(4096);
  return Error{label + ": the dump reader " + options.reader + " failed (exit status " +
               std::to_string(run->exit_status) + ")" + (output.empty() ? "" : ": " + output)};
}

int RunDumpReader(const std::vector<std::string>& args, int out_fd) {
  // Die of the signal itself, whatever handlers a sanitizer runtime installed (they report and
  // exit with status 1): ktriage tells a crash from its signal.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, SIG_DFL);
  VmcoreReadOptions options;
  options.isolate = false;
  std::vector<DumpFileHandle> files;
  bool names = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (names) {
      files.push_back({args[i], ScopedFd(kFirstFileFd + static_cast<int>(files.size()))});
    } else if (args[i] == "--no-symbols") {
      options.symbols = false;
    } else if (args[i] == "--temp-dir" && i + 1 < args.size()) {
      options.temp_dir = args[++i];
    } else if (args[i] == "--") {
      names = true;
    } else {
      WriteAllTo(out_fd, "usage: ktriage-dump-reader [--no-symbols] [--temp-dir DIR] -- NAME... (the files as fds 3...)");
      return kReaderUsage;
    }
  }
  Result<VmcoreContents> contents = ReadInThisProcess(files, options);
  WriteAllTo(out_fd, contents.ok() ? EncodeVmcoreContents(*contents) : contents.error().message);
  return contents.ok() ? kReaderOk : kReaderError;
}

}  // namespace ktriage
