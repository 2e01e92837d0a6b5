// DumpFile: a kernel crash dump opened with libkdumpfile: ELF (/proc/vmcore copies, QEMU
// dump-guest-memory), kdump-compressed (diskdump: zlib, lzo, snappy, zstd), split dump sets, and
// makedumpfile's flattened format (read without asking the user to run `makedumpfile -R`).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/vmcore/memory_reader.h"
#include "analyzer/vmcore/vmcoreinfo.h"
#include "base/result.h"
#include "base/scoped_fd.h"

namespace ktriage {

struct CpuState {
  int cpu = 0;
  std::optional<int> pid;                       // pr_pid of the NT_PRSTATUS note; none in QEMU's dumps (vCPU + 1 there)
  std::map<std::string, uint64_t> registers;    // "rip", "rsp", ... as libkdumpfile names them (cpu.N.reg.*)
  std::optional<uint64_t> pc;                   // rip / pc, for convenience
};

struct DumpFacts {
  std::string format;            // "elf", "diskdump", "flattened diskdump", ... (libkdumpfile's file.format, refined)
  std::string compression;       // diskdump pages: "zlib", "lzo", "snappy", "zstd", "none"; "" for ELF
  std::string arch;              // "x86_64", "aarch64", ...: from the file, or derived when the header lacks it
  bool arch_derived = false;     // true when we had to derive it (QEMU kdump headers)
  uint64_t page_size = 0;
  std::vector<CpuState> cpus;
  std::vector<std::string> warnings;  // e.g. "arch.name missing from the header; derived x86_64 from VMCOREINFO"
};

// What Open needs from its caller beyond the files (no environment lookups inside the library).
struct DumpOpenOptions {
  // Where a flattened dump is rebuilt (an unlinked sparse file about the size of the dump).
  std::string temp_dir = "/tmp";
  // libkdumpfile arch.name to set before opening ("x86_64"...), for dumps whose header lacks it
  // and whose architecture cannot be derived; empty: from the dump.
  std::string arch;
};

// One file of a dump (or of a split set), opened once: every reader of the dump, the reader
// process included, reads through this descriptor. `name` is how messages name the file.
struct DumpFileHandle {
  std::string name;
  ScopedFd fd;
};

// How messages name a dump: its first file, and how many more a split set has.
std::string DumpLabel(const std::vector<std::string>& names);
std::string DumpLabel(const std::vector<DumpFileHandle>& files);

// Opens each file for reading. Errors name the file: it cannot be opened, is a directory or empty.
Result<std::vector<DumpFileHandle>> OpenDumpFiles(const std::vector<std::string>& paths);

// The file opened when its content is a dump (a regular file with an ELF core header and
// program headers, a "KDUMP   " / "DISKDUMP" signature, or makedumpfile's flattened signature);
// nullopt for logs, archives, special files and what cannot be opened. Reads a few bytes.
std::optional<DumpFileHandle> OpenIfDump(const std::string& path);
// The same test on a descriptor already open.
bool IsDump(int fd);

class DumpFile final : public MemoryReader {
 public:
  // `files`: one dump, or the files of a split dump set (their descriptors are duplicated, not
  // reopened). Errors name the file and the reason ("no VMCOREINFO", "truncated at 50%: ...",
  // "not a dump"). libkdumpfile crashes on some corrupt dumps, and nothing here protects the
  // process from that: DumpSession (analyzer/pipeline) reads a dump in the reader process first.
  static Result<std::unique_ptr<DumpFile>> Open(const std::vector<DumpFileHandle>& files,
                                                const DumpOpenOptions& options = {});
  // Opens the files by path first (tests, fuzzers).
  static Result<std::unique_ptr<DumpFile>> Open(const std::vector<std::string>& paths,
                                                const DumpOpenOptions& options = {});
  ~DumpFile() override;

  Status ReadVirtual(uint64_t address, void* buffer, size_t size) override;

  const VmcoreInfo& vmcoreinfo() const { return vmcoreinfo_; }
  const DumpFacts& facts() const { return facts_; }

 private:
  DumpFile();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  VmcoreInfo vmcoreinfo_;
  DumpFacts facts_;
};

}  // namespace ktriage
