// DumpFile: libkdumpfile behind the MemoryReader interface, plus what libkdumpfile 0.5.1 lacks:
// makedumpfile's flattened format (rebuilt into a temp file), the architecture of QEMU's kdump
// files (whose header libkdumpfile ignores), errors instead of zeros for the missing part of a
// truncated file. A crash of libkdumpfile on a corrupt dump is contained by the reader process
// (ktriage-dump-reader), which reads every dump once before this process opens it.
#include "analyzer/vmcore/dump_file.h"

#include "base/text.h"

#include <errno.h>
#include <fcntl.h>
#include <libkdumpfile/kdumpfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include "analyzer/vmcore/arm64_page_tables.h"
#include "analyzer/vmcore/diskdump_header.h"
#include "analyzer/vmcore/diskdump_pages.h"
#include "analyzer/vmcore/dump_arch.h"
#include "analyzer/vmcore/elf_core.h"
#include "analyzer/vmcore/file_bytes.h"
#include "analyzer/vmcore/flattened_dump.h"
#include "base/scoped_fd.h"
#include "analyzer/vmcore/truncation_guard.h"

namespace ktriage {
namespace {

enum class FileKind { kUnknown, kElfCore, kDiskdump, kFlattened };

// Enough for the ELF64 header (64 bytes) and the flattened signature.
constexpr size_t kSniffSize = 64;
constexpr uint16_t kEtCore = 4;

// By content only: ELF ET_CORE with program headers, the diskdump signatures, the flattened one.
FileKind Sniff(const unsigned char* p, size_t n) {
  if (n >= 8 && (std::memcmp(p, "KDUMP   ", 8) == 0 || std::memcmp(p, "DISKDUMP", 8) == 0)) return FileKind::kDiskdump;
  if (HasFlattenedSignature(p, n)) return FileKind::kFlattened;
  if (n >= 52 && std::memcmp(p, "\x7f" "ELF", 4) == 0 && (p[4] == 1 || p[4] == 2) && (p[5] == 1 || p[5] == 2)) {
    const bool le = p[5] == 1;
    const bool is64 = p[4] == 2;
    if (is64 && n < 64) return FileKind::kUnknown;
    const uint64_t type = LoadUnsigned(p + 16, 2, le);
    const uint64_t phnum = LoadUnsigned(p + (is64 ? 56 : 44), 2, le);
    if (type == kEtCore && phnum > 0) return FileKind::kElfCore;
  }
  return FileKind::kUnknown;
}

struct KdumpCtxFree {
  void operator()(kdump_ctx_t* ctx) const { kdump_free(ctx); }
};
using KdumpCtx = std::unique_ptr<kdump_ctx_t, KdumpCtxFree>;

struct AddrxlatCtxRelease {
  void operator()(addrxlat_ctx_t* ctx) const { addrxlat_ctx_decref(ctx); }
};
struct AddrxlatSysRelease {
  void operator()(addrxlat_sys_t* sys) const { addrxlat_sys_decref(sys); }
};

// libkdumpfile 0.5.1 dereferences NULL in kdump_free() after a failed diskdump open (its
// attr_cleanup reads the format data that the failed open already freed): such contexts are kept
// for the life of the process instead (a few KiB each). Reachable, so LeakSanitizer stays quiet.
void Quarantine(KdumpCtx ctx) {
  static std::mutex mutex;
  static auto* kept = new std::vector<kdump_ctx_t*>();
  std::lock_guard<std::mutex> lock(mutex);
  kept->push_back(ctx.release());
}

std::string KdumpError(kdump_ctx_t* ctx) {
  const char* err = kdump_get_err(ctx);
  return err ? err : "unknown error";
}

Result<KdumpCtx> OpenContext(const std::vector<int>& fds, const std::string& label, const std::string& arch,
                             bool diskdump) {
  KdumpCtx ctx(kdump_new());
  if (!ctx) return Error{label + ": kdump_new: out of memory"};
  // read(2), never mmap(2): a dump truncated (or shrunk while we read it) would turn a read past
  // its end into SIGBUS instead of an error.
  if (kdump_set_number_attr(ctx.get(), KDUMP_ATTR_FILE_MMAP_POLICY, KDUMP_MMAP_NEVER) != KDUMP_OK)
    return Error{label + ": kdump_set_number_attr(" KDUMP_ATTR_FILE_MMAP_POLICY "): " + KdumpError(ctx.get())};
  if (kdump_set_string_attr(ctx.get(), KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK)
    return Error{label + ": kdump_set_string_attr(" KDUMP_ATTR_OSTYPE "): " + KdumpError(ctx.get())};
  // Set before opening: libkdumpfile reads the per-CPU notes (NT_PRSTATUS) only if it knows the
  // architecture while it opens the file.
  if (!arch.empty() && kdump_set_string_attr(ctx.get(), KDUMP_ATTR_ARCH_NAME, arch.c_str()) != KDUMP_OK)
    return Error{label + ": kdump_set_string_attr(" KDUMP_ATTR_ARCH_NAME "=" + arch + "): " + KdumpError(ctx.get())};
  const kdump_status status = fds.size() == 1 ? kdump_open_fd(ctx.get(), fds[0])
                                              : kdump_open_fdset(ctx.get(), static_cast<unsigned>(fds.size()), fds.data());
  if (status != KDUMP_OK) {
    // libkdumpfile prefixes every open error with the attribute whose setting opened the file.
    std::string message = KdumpError(ctx.get());
    if (message.starts_with("Cannot set file.")) {
      const size_t colon = message.find(": ");
      if (colon != std::string::npos) message.erase(0, colon + 2);
    }
    Error error{label + (fds.size() == 1 ? ": kdump_open_fd: " : ": kdump_open_fdset: ") + message};
    if (diskdump) Quarantine(std::move(ctx));
    return error;
  }
  return ctx;
}

std::optional<std::string> StringAttr(kdump_ctx_t* ctx, const char* key) {
  const char* value = nullptr;
  if (kdump_get_string_attr(ctx, key, &value) != KDUMP_OK || !value) return std::nullopt;
  return std::string(value);
}

std::optional<uint64_t> NumberAttr(kdump_ctx_t* ctx, const std::string& key) {
  kdump_num_t value = 0;
  if (kdump_get_number_attr(ctx, key.c_str(), &value) != KDUMP_OK) return std::nullopt;
  return value;
}

std::optional<std::string> BlobAttr(kdump_ctx_t* ctx, const char* key) {
  kdump_attr_t attr;
  if (kdump_get_attr(ctx, key, &attr) != KDUMP_OK || attr.type != KDUMP_BLOB) return std::nullopt;
  const void* data = kdump_blob_pin(attr.val.blob);
  std::string out(static_cast<const char*>(data), data ? kdump_blob_size(attr.val.blob) : 0);
  kdump_blob_unpin(attr.val.blob);
  return out;
}

// cpu.N.reg.* (all numbers) and cpu.N.pid, as libkdumpfile 0.5.1 names them.
std::vector<CpuState> ReadCpus(kdump_ctx_t* ctx) {
  std::vector<CpuState> cpus;
  const uint64_t count = NumberAttr(ctx, KDUMP_ATTR_NUM_CPUS).value_or(0);
  for (uint64_t i = 0; i < count && i < 65536; ++i) {
    CpuState cpu;
    cpu.cpu = static_cast<int>(i);
    const std::string prefix = "cpu." + std::to_string(i);
    if (auto pid = NumberAttr(ctx, prefix + ".pid")) cpu.pid = static_cast<int>(*pid);
    const std::string regs = prefix + ".reg";
    kdump_attr_iter_t it;
    if (kdump_attr_iter_start(ctx, regs.c_str(), &it) == KDUMP_OK) {
      while (it.key) {
        kdump_attr_t value;
        if (kdump_attr_ref_get(ctx, &it.pos, &value) == KDUMP_OK && value.type == KDUMP_NUMBER)
          cpu.registers[it.key] = value.val.number;
        if (kdump_attr_iter_next(ctx, &it) != KDUMP_OK) break;
      }
      kdump_attr_iter_end(ctx, &it);
    }
    for (const char* name : {"rip", "pc", "nip"}) {
      if (auto reg = cpu.registers.find(name); reg != cpu.registers.end()) {
        cpu.pc = reg->second;
        break;
      }
    }
    if (cpu.pid || !cpu.registers.empty()) cpus.push_back(std::move(cpu));
  }
  return cpus;
}

// The diskdump header's utsname.machine (struct disk_dump_header: signature[8], int
// header_version, then struct new_utsname's six 65-byte fields; machine is the fifth).
std::string DiskdumpHeaderMachine(int fd) {
  constexpr uint64_t kMachineOffset = 8 + 4 + 4 * 65;
  char machine[65] = {};
  auto got = PreadFull(fd, machine, sizeof machine - 1, kMachineOffset);
  if (!got) return "";
  return std::string(machine, strnlen(machine, *got));
}

}  // namespace

bool IsDump(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  unsigned char head[kSniffSize];
  auto got = PreadFull(fd, head, sizeof head, 0);
  return got && Sniff(head, *got) != FileKind::kUnknown;
}

std::optional<DumpFileHandle> OpenIfDump(const std::string& path) {
  // Not even opened unless regular: opening a FIFO to look at it would block until a writer
  // comes, and closing it would cost that writer its stream (SIGPIPE).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || !IsDump(fd.get())) return std::nullopt;
  return DumpFileHandle{path, std::move(fd)};
}

Result<std::vector<DumpFileHandle>> OpenDumpFiles(const std::vector<std::string>& paths) {
  if (paths.empty()) return Error{"no dump file given"};
  std::vector<DumpFileHandle> files;
  for (const std::string& path : paths) {
    ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      const int err = errno;
      return Error{path + ": open: " + std::strerror(err)};
    }
    files.push_back({path, std::move(fd)});
  }
  return files;
}

namespace {

// QEMU's dump-guest-memory writes a "QEMU" note (its own CPU state) beside each CPU's
// NT_PRSTATUS and fills pr_pid with the vCPU number + 1: in such a dump no note names a task.
constexpr uint64_t kMaxNoteArea = 1 << 20;  // a note area of thousands of CPUs; more is corrupt

bool AreaHasQemuNote(int fd, uint64_t offset, uint64_t size, bool little_endian) {
  std::string area(static_cast<size_t>(std::min(size, kMaxNoteArea)), '\0');
  Result<size_t> got = PreadFull(fd, area.data(), area.size(), offset);
  if (!got) return false;
  area.resize(*got);
  for (const ElfNote& note : ParseElfNotes(area, little_endian)) {
    if (note.name == "QEMU") return true;
  }
  return false;
}

bool ElfHasQemuNotes(int fd) {
  std::optional<ElfLayout> layout = ReadElfLayout(fd);
  if (!layout) return false;
  for (const ElfSegment& s : layout->segments) {
    if (s.type == kPtNote && AreaHasQemuNote(fd, s.offset, s.filesz, layout->little_endian)) return true;
  }
  return false;
}

bool DiskdumpHasQemuNotes(int fd, const DiskdumpHeader& header) {
  // The ELF notes sit in the kdump sub header's note area from header version 4.
  return header.header_version >= 4 && header.note_size > 0 &&
         AreaHasQemuNote(fd, header.note_offset, header.note_size, header.little_endian);
}

// Everything libkdumpfile-side of an open dump.
struct DumpState {
  std::vector<int> fds;  // owned by DumpFile::Impl
  std::vector<FileKind> kinds;
  bool flattened = false;
  std::optional<TruncationGuard> guard;
  std::string truncation;  // "the file is truncated (...)" when it is, for open errors
  KdumpCtx ctx;
  std::unique_ptr<addrxlat_ctx_t, AddrxlatCtxRelease> axctx;
  std::unique_ptr<addrxlat_sys_t, AddrxlatSysRelease> axsys;
  std::string xlat_error;  // why axctx/axsys are missing for a truncated file
  std::string format;      // libkdumpfile's file.format
  uint64_t page_size = 4096;
  VmcoreInfo vmcoreinfo;
  DumpFacts facts;
  bool qemu_notes = false;  // written by QEMU: the NT_PRSTATUS pr_pid are not pids
  // arm64: our own translation (one walk for 48-bit, 52-bit LPA2 and fallen-back kernels, and
  // the only one that works where the blocks are ours to read); physical reads through
  // libkdumpfile or `blocks`.
  std::optional<Arm64PageTables> arm64;
  std::optional<DiskdumpHeader> diskdump;  // of a single kdump-compressed file
  // Its blocks read by us, where their size is not the kernel's page size (see DiskdumpPages).
  std::optional<DiskdumpPages> blocks;
};

bool AnyDiskdump(const std::vector<FileKind>& kinds) {
  return std::any_of(kinds.begin(), kinds.end(), [](FileKind k) { return k == FileKind::kDiskdump; });
}

// The libkdumpfile part of Open: context, VMCOREINFO, architecture, facts.
Status Load(DumpState& st, const std::string& label, const DumpOpenOptions& options) {
  const std::string truncated = st.truncation.empty() ? "" : " (" + st.truncation + ")";
  // libkdumpfile 0.5.1 sets no arch.name for any diskdump file (it does not read the header's
  // utsname.machine), and must know it while opening to read the CPU notes: taken from the header
  // here, the file is opened once instead of twice.
  std::string arch_up_front = options.arch;
  std::optional<DerivedArch> from_header;
  if (arch_up_front.empty() && std::all_of(st.kinds.begin(), st.kinds.end(), [](FileKind k) { return k == FileKind::kDiskdump; })) {
    from_header = DeriveDumpArch(DiskdumpHeaderMachine(st.fds[0]), VmcoreInfo{});
    if (from_header) arch_up_front = from_header->name;
  }
  auto ctx = OpenContext(st.fds, label, arch_up_front, AnyDiskdump(st.kinds));
  if (!ctx) {
    if (std::all_of(st.kinds.begin(), st.kinds.end(), [](FileKind k) { return k == FileKind::kUnknown; }) &&
        ctx.error().message.find("Unknown file format") != std::string::npos)
      return Error{label + ": not a crash dump (no ELF core, KDUMP/DISKDUMP or makedumpfile signature)"};
    return Error{ctx.error().message + truncated};
  }
  st.ctx = std::move(*ctx);
  st.format = StringAttr(st.ctx.get(), KDUMP_ATTR_FILE_FORMAT).value_or("unknown");

  auto raw = BlobAttr(st.ctx.get(), "linux.vmcoreinfo.raw");
  if (!raw || raw->empty()) {
    if (st.guard && st.guard->notes_missing()) return Error{label + ": no VMCOREINFO in the dump" + truncated};
    return Error{label + ": no VMCOREINFO in the dump (was qemu_fw_cfg loaded / -device vmcoreinfo given?)"};
  }
  while (!raw->empty() && raw->back() == '\0') raw->pop_back();  // the note may carry its NUL
  auto info = VmcoreInfo::Parse(*raw);
  if (!info) return Error{label + ": VMCOREINFO: " + info.error().message};
  st.vmcoreinfo = std::move(*info);

  std::optional<std::string> arch = StringAttr(st.ctx.get(), KDUMP_ATTR_ARCH_NAME);
  if (from_header) {
    st.facts.arch_derived = true;
    st.facts.warnings.push_back("arch.name missing from the " + st.format + " header; derived " + from_header->name +
                                " from " + from_header->source);
  } else if (!arch) {
    const std::string machine = st.format == "diskdump" ? DiskdumpHeaderMachine(st.fds[0]) : "";
    auto derived = DeriveDumpArch(machine, st.vmcoreinfo);
    if (!derived)
      return Error{label + ": the dump does not name its architecture (arch.name) and neither its header nor "
                           "VMCOREINFO tells it"};
    // Reopen with arch.name set up front: set after opening, it would let us read memory but
    // libkdumpfile would have skipped the CPU notes.
    auto again = OpenContext(st.fds, label, derived->name, AnyDiskdump(st.kinds));
    if (!again) return Error{again.error().message + truncated};
    st.ctx = std::move(*again);
    arch = derived->name;
    st.facts.arch_derived = true;
    st.facts.warnings.push_back("arch.name missing from the " + st.format + " header; derived " + derived->name +
                                " from " + derived->source);
  }

  if (st.guard) {
    // Only truncated files need our own translation (see ReadKernelMemory). It fails when the
    // page tables are in the missing part; reads then fail too, with this reason.
    addrxlat_ctx_t* axctx = nullptr;
    addrxlat_sys_t* axsys = nullptr;
    if (kdump_get_addrxlat(st.ctx.get(), &axctx, &axsys) == KDUMP_OK) {
      st.axctx.reset(axctx);
      st.axsys.reset(axsys);
    } else {
      st.xlat_error = "kdump_get_addrxlat: " + KdumpError(st.ctx.get());
    }
  }

  if (*arch == "aarch64") {
    Result<Arm64PageTables> tables = Arm64PageTables::FromVmcoreInfo(st.vmcoreinfo);
    if (tables) {
      st.arm64 = std::move(*tables);
      if (st.diskdump && st.diskdump->block_size != st.vmcoreinfo.page_size && st.fds.size() == 1) {
        Result<DiskdumpPages> blocks = DiskdumpPages::Open(st.fds[0], *st.diskdump);
        if (blocks) {
          st.blocks = std::move(*blocks);
        } else {
          st.facts.warnings.push_back(label + ": " + std::to_string(st.diskdump->block_size) + "-byte blocks for " +
                                      std::to_string(st.vmcoreinfo.page_size) + "-byte pages, not readable here: " +
                                      blocks.error().message);
        }
      }
    } else {
      st.facts.warnings.push_back(label + ": " + tables.error().message + "; libkdumpfile translates addresses instead");
    }
  }

  st.facts.format = st.format;
  if (st.fds.size() > 1) st.facts.format = "split " + st.facts.format;
  if (st.flattened) st.facts.format = "flattened " + st.facts.format;
  st.facts.arch = *arch;
  st.facts.page_size = NumberAttr(st.ctx.get(), KDUMP_ATTR_PAGE_SIZE).value_or(0);
  if (st.facts.page_size == 0 || !std::has_single_bit(st.facts.page_size))
    return Error{label + ": the dump has no valid page size (arch.page_size = " + std::to_string(st.facts.page_size) + ")"};
  st.page_size = st.facts.page_size;
  st.facts.cpus = ReadCpus(st.ctx.get());
  // QEMU's arm64 dumps carry no "QEMU" note (its x86 ones do), but number their NT_PRSTATUS
  // pr_pid 1..N in vCPU order all the same; a kernel's own notes hold the running tasks' pids.
  const bool numbered = *arch == "aarch64" && st.facts.cpus.size() >= 2 &&
                        std::all_of(st.facts.cpus.begin(), st.facts.cpus.end(), [](const CpuState& c) { return c.pid == c.cpu + 1; });
  if (st.qemu_notes || numbered) {
    for (CpuState& cpu : st.facts.cpus) cpu.pid.reset();
  }
  if (st.facts.cpus.empty()) st.facts.warnings.push_back(label + ": no CPU registers (NT_PRSTATUS notes) in the dump");
  return Ok{};
}

// Where in a read of more than a byte its error happened: " (read 8 of 16 bytes at 0x...)".
std::string PartOfRead(uint64_t address, size_t size, size_t done) {
  if (size <= 1) return "";
  return " (read " + std::to_string(done) + " of " + std::to_string(size) + " bytes at " + HexString(address) + ")";
}

// A read that reaches the part of a truncated file that is missing.
Status TruncatedRead(const DumpState& st, uint64_t at, uint64_t missing, uint64_t address, size_t size, size_t done) {
  return Error{"address " + HexString(at) + " beyond the end of a truncated file (byte " + std::to_string(missing) +
               " of the dump is missing; the file ends at byte " + std::to_string(st.guard->file_size()) + ")" +
               PartOfRead(address, size, done)};
}

Status ReadError(DumpState& st, kdump_status status, uint64_t address, size_t size, size_t done) {
  const uint64_t at = address + std::min(done, size);  // the failing address, not the request's start
  std::string reason;
  switch (status) {
    case KDUMP_ERR_NODATA:
      reason = st.format == "diskdump" ? "not in the dump: page filtered out (makedumpfile dump level)"
                                       : "not in the dump: outside the memory it stores";
      break;
    case KDUMP_ERR_ADDRXLAT:
      reason = "not mapped (no translation in the kernel page tables)";
      break;
    case KDUMP_ERR_EOF:
      reason = "beyond the end of a truncated file";
      break;
    case KDUMP_ERR_CORRUPT:
      reason = "corrupt data in the dump";
      break;
    case KDUMP_OK:
      reason = "short read";
      break;
    default:
      reason = "cannot be read";
      break;
  }
  std::string message = "address " + HexString(at) + " " + reason;
  message += PartOfRead(address, size, std::min(done, size));
  if (status != KDUMP_OK) message += ": kdump_read: " + KdumpError(st.ctx.get());
  if (st.guard && status != KDUMP_OK)
    message += " (the file is truncated: what was needed to read it may be in the missing part)";
  return Error{message};
}

// A page at a time through Arm64PageTables, then libkdumpfile's physical reads.
Status ReadArm64Memory(DumpState& st, uint64_t address, void* buffer, size_t size) {
  auto read_physical = [&](uint64_t physical, void* out, size_t n) -> Status {
    if (st.blocks) return st.blocks->Read(physical, out, n);
    size_t got = n;
    const kdump_status status = kdump_read(st.ctx.get(), KDUMP_KPHYSADDR, physical, out, &got);
    if (status == KDUMP_OK && got == n) return Ok{};
    return ReadError(st, status == KDUMP_OK ? KDUMP_ERR_NODATA : status, physical, n, got);
  };
  const Arm64PageTables::ReadPhysical descriptor = [&](uint64_t physical) -> Result<uint64_t> {
    uint64_t v = 0;
    if (Status s = read_physical(physical, &v, sizeof v); !s) return s.error();
    return v;  // little-endian, as the host
  };
  // By the kernel's pages: the dump's own unit (QEMU's 64 KiB blocks) may span several.
  const uint64_t page = st.arm64->page_size();
  char* out = static_cast<char*>(buffer);
  for (size_t done = 0; done < size;) {
    const uint64_t at = address + done;
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(size - done, page - at % page));
    Result<uint64_t> physical = st.arm64->Translate(at, descriptor);
    if (!physical) {
      std::string message = physical.error().message;
      message += PartOfRead(address, size, done);
      return Error{message};
    }
    if (st.guard) {
      if (auto missing = st.guard->MissingAt(*physical, chunk)) return TruncatedRead(st, at, *missing, address, size, done);
    }
    if (Status s = read_physical(*physical, out + done, chunk); !s) {
      std::string message = "address " + HexString(at) + " (physical " + HexString(*physical) + "): " + s.error().message;
      message += PartOfRead(address, size, done);
      return Error{message};
    }
    done += chunk;
  }
  return Ok{};
}

Status ReadKernelMemory(DumpState& st, uint64_t address, void* buffer, size_t size) {
  if (size == 0) return Ok{};
  if (address + size < address)
    return Error{"address " + HexString(address) + ": a read of " + std::to_string(size) + " bytes wraps around"};
  if (st.arm64) return ReadArm64Memory(st, address, buffer, size);
  if (!st.guard) {
    size_t done = size;
    const kdump_status status = kdump_read(st.ctx.get(), KDUMP_KVADDR, address, buffer, &done);
    if (status == KDUMP_OK && done == size) return Ok{};
    return ReadError(st, status, address, size, done);
  }
  // A truncated file: page by page, check where the page's data lies before reading it, as
  // libkdumpfile would return zeros for whatever lies beyond the end of the file.
  if (!st.axctx || !st.axsys)
    return Error{"address " + HexString(address) + " cannot be read: the file is truncated and its address translation "
                 "failed (" + st.xlat_error + ")"};
  char* out = static_cast<char*>(buffer);
  for (size_t done = 0; done < size;) {
    const uint64_t at = address + done;
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(size - done, st.page_size - at % st.page_size));
    addrxlat_fulladdr_t full{at, ADDRXLAT_KVADDR};
    if (addrxlat_fulladdr_conv(&full, ADDRXLAT_MACHPHYSADDR, st.axctx.get(), st.axsys.get()) == ADDRXLAT_OK) {
      if (auto missing = st.guard->MissingAt(full.addr, chunk)) return TruncatedRead(st, at, *missing, address, size, done);
    }  // else kdump_read fails below with libkdumpfile's own reason
    size_t got = chunk;
    const kdump_status status = kdump_read(st.ctx.get(), KDUMP_KVADDR, at, out + done, &got);
    if (status != KDUMP_OK || got != chunk) return ReadError(st, status, address, size, done + std::min(got, chunk));
    done += chunk;
  }
  return Ok{};
}


}  // namespace

struct DumpFile::Impl {
  std::vector<ScopedFd> fds;  // first: destroyed last, after the context that reads through them
  DumpState state;
};

DumpFile::DumpFile() : impl_(std::make_unique<Impl>()) {}
DumpFile::~DumpFile() = default;

std::string DumpLabel(const std::vector<std::string>& names) {
  if (names.size() <= 1) return names.empty() ? std::string() : names[0];
  return names[0] + " (and " + std::to_string(names.size() - 1) + " more split files)";
}

std::string DumpLabel(const std::vector<DumpFileHandle>& files) {
  std::vector<std::string> names;
  for (const DumpFileHandle& f : files) names.push_back(f.name);
  return DumpLabel(names);
}

Result<std::unique_ptr<DumpFile>> DumpFile::Open(const std::vector<std::string>& paths, const DumpOpenOptions& options) {
  Result<std::vector<DumpFileHandle>> files = OpenDumpFiles(paths);
  if (!files) return files.error();
  return Open(*files, options);
}

Result<std::unique_ptr<DumpFile>> DumpFile::Open(const std::vector<DumpFileHandle>& files, const DumpOpenOptions& options) {
  if (files.empty()) return Error{"no dump file given"};
  std::unique_ptr<DumpFile> dump(new DumpFile());
  Impl& impl = *dump->impl_;
  DumpState& st = impl.state;
  const std::string label = DumpLabel(files);

  std::vector<std::string> warnings;
  std::string compression;  // of the diskdump pages; the same in every file of a set
  for (const DumpFileHandle& file : files) {
    const std::string& path = file.name;
    ScopedFd fd(::fcntl(file.fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!fd.valid()) {
      const int err = errno;
      return Error{path + ": dup: " + std::strerror(err)};
    }
    struct stat sb {};
    if (::fstat(fd.get(), &sb) != 0) {
      const int err = errno;
      return Error{path + ": fstat: " + std::strerror(err)};
    }
    if (S_ISDIR(sb.st_mode)) return Error{path + ": is a directory, not a dump"};
    if (sb.st_size == 0) return Error{path + ": empty file, not a dump"};
    unsigned char head[kSniffSize];
    auto got = PreadFull(fd.get(), head, sizeof head, 0);
    if (!got) return Error{path + ": " + got.error().message};
    FileKind kind = Sniff(head, *got);
    uint64_t size = static_cast<uint64_t>(sb.st_size);
    Extents present{{0, size}};
    bool cut_flattened = false;
    std::string cut_reason;
    if (kind == FileKind::kFlattened) {
      auto rebuilt = RebuildFlattened(fd.get(), path, options.temp_dir);
      if (!rebuilt) return rebuilt.error();
      if (!rebuilt->scan.truncation.empty()) {
        cut_reason = rebuilt->scan.truncation;
        warnings.push_back(path + ": truncated flattened dump: " + rebuilt->scan.truncation +
                           "; what follows is missing from the dump");
        cut_flattened = true;
      }
      if (rebuilt->scan.data_bytes == 0) return Error{path + ": flattened dump without any data"};
      fd = std::move(rebuilt->fd);
      size = rebuilt->scan.rebuilt_size;
      present = std::move(rebuilt->scan.written);
      st.flattened = true;
      got = PreadFull(fd.get(), head, sizeof head, 0);  // what it rebuilt: diskdump, or ELF (makedumpfile -E -F)
      if (!got) return Error{path + ": " + got.error().message};
      kind = Sniff(head, *got);
    }
    if (kind == FileKind::kDiskdump) {
      if (std::optional<DiskdumpHeader> header = ReadDiskdumpHeader(fd.get())) {
        if (files.size() == 1) st.diskdump = header;
        compression = header->Compression();
        st.qemu_notes = st.qemu_notes || DiskdumpHasQemuNotes(fd.get(), *header);
        if (header->split && files.size() == 1) {
          warnings.push_back(path + ": one file of a split dump set (makedumpfile --split), PFNs " +
                             HexString(header->start_pfn) + "-" + HexString(header->end_pfn) +
                             ": memory outside them is missing; give every file of the set");
        }
      }
    }
    if (kind == FileKind::kElfCore) st.qemu_notes = st.qemu_notes || ElfHasQemuNotes(fd.get());
    if (files.size() == 1) {
      if (kind == FileKind::kElfCore) st.guard = TruncationGuard::ForElf(fd.get(), present, cut_flattened);
      if (kind == FileKind::kDiskdump) st.guard = TruncationGuard::ForDiskdump(fd.get(), present, cut_flattened);
      if (st.guard && !cut_flattened) {
        st.truncation = "the file is truncated: " + std::to_string(size) + " bytes of the " +
                        (kind == FileKind::kDiskdump ? "at least " : "") + std::to_string(st.guard->expected_size()) +
                        " its headers describe (" + std::to_string(size * 100 / st.guard->expected_size()) + "%)";
        warnings.push_back(path + ": truncated: " + std::to_string(size) + " bytes of the " +
                           (kind == FileKind::kDiskdump ? "at least " : "") + std::to_string(st.guard->expected_size()) +
                           " its headers describe (" + std::to_string(size * 100 / st.guard->expected_size()) +
                           "%); reads of the missing part fail");
      }
      if (cut_flattened) st.truncation = "the flattened file is truncated: " + cut_reason;
    }
    st.kinds.push_back(kind);
    st.fds.push_back(fd.get());
    impl.fds.push_back(std::move(fd));
  }

  if (Status loaded = Load(st, label, options); !loaded) return loaded.error();
  dump->vmcoreinfo_ = st.vmcoreinfo;
  dump->facts_ = std::move(st.facts);
  dump->facts_.compression = compression;
  dump->facts_.warnings.insert(dump->facts_.warnings.begin(), warnings.begin(), warnings.end());
  return dump;
}

Status DumpFile::ReadVirtual(uint64_t address, void* buffer, size_t size) {
  return ReadKernelMemory(impl_->state, address, buffer, size);
}

}  // namespace ktriage
