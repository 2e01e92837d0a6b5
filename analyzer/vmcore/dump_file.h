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

// What Open needs from its caller beyond the paths (no environment lookups inside the library).
struct DumpOpenOptions {
  // Where a flattened dump is rebuilt (an unlinked sparse file about the size of the dump).
  // The one-argument Open uses $TMPDIR, else /tmp.
  std::string temp_dir = "/tmp";
  // libkdumpfile arch.name to set before opening ("x86_64"...), for dumps whose header lacks it
  // and whose architecture cannot be derived; empty: from the dump.
  std::string arch;
  // Open, read and free the dump once in a child process first, so that a crash of libkdumpfile
  // on a corrupt file becomes an error (see dump_file.cpp). Off only for fuzzers that want the crash.
  bool isolate = true;
};

// How messages name a dump: its path, or the first file of a split set and how many more.
std::string DumpLabel(const std::vector<std::string>& paths);

// The options of the one-argument Open: temp_dir from $TMPDIR (else /tmp), the rest as declared.
DumpOpenOptions DefaultDumpOpenOptions();

// Is this file a dump (by content: ELF core with notes, "KDUMP   " / "DISKDUMP" signature,
// makedumpfile's flattened signature)? Reads a few bytes; false for logs and archives.
bool LooksLikeDump(const std::string& path);

class DumpFile final : public MemoryReader {
 public:
  // `paths`: one dump, or the files of a split dump set. Errors name the file and the reason
  // ("no VMCOREINFO", "truncated at 50%: ...", "not a dump").
  static Result<std::unique_ptr<DumpFile>> Open(const std::vector<std::string>& paths);
  static Result<std::unique_ptr<DumpFile>> Open(const std::vector<std::string>& paths,
                                                const DumpOpenOptions& options);
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
