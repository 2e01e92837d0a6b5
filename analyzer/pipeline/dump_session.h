// DumpSession: one crash dump, opened once, and everything that belongs to it: its files'
// descriptors, what the reader process read (VMCOREINFO facts, CPUs, kallsyms names, the log),
// the dump's memory opened in this process when an analysis needs it, and the kernel state built
// from the dump's own BTF and kallsyms (and its vmlinux, when found). Every command that reads a dump goes through one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/kernel_state/kernel_state.h"
#include "analyzer/vmcore/dump_file.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "base/result.h"

namespace ktriage::pipeline {

struct DumpSessionOptions {
  std::string reader = kBuiltDumpReader;  // ktriage-dump-reader (VmcoreReadOptions::reader)
  std::string temp_dir = "/tmp";          // where flattened dumps are rebuilt
  std::string types_cache_dir;            // where the type index of each build is kept; "" for nowhere
  bool symbols = true;                    // name the CPUs' PCs from kallsyms (VmcoreReadOptions::symbols)
  kernel::TypeSourceChoice types = kernel::TypeSourceChoice::kAuto;  // --types
};

class DumpSession {
 public:
  // Reads the dump in the reader process. The error is the reader's: the files are no usable dump,
  // or libkdumpfile crashed or hung on them.
  static Result<std::unique_ptr<DumpSession>> Open(std::vector<DumpFileHandle> files, const DumpSessionOptions& options);
  static Result<std::unique_ptr<DumpSession>> Open(const std::vector<std::string>& paths,
                                                   const DumpSessionOptions& options);
  ~DumpSession();

  const std::string& label() const { return label_; }  // the first file, and how many more
  const std::string& name() const { return files_.front().name; }
  const VmcoreContents& contents() const { return contents_; }
  VmcoreFacts& facts() { return contents_.facts; }  // symbolization adds source lines to the CPUs
  const VmcoreFacts& facts() const { return contents_.facts; }

  // The dump's memory, opened in this process on first use (the reader read it without crashing).
  Result<DumpFile*> Memory();
  // Types, symbols, modules, tasks and stacks, built on first use from the dump's own BTF and
  // kallsyms and from `vmlinux` ("" for none); refused when `vmlinux` is not the dump's own build.
  // A later call with another path gets the first result.
  Result<kernel::KernelState*> Kernel(const std::string& vmlinux);
  // Frees the kernel state and this process's open of the dump (hundreds of MB of DWARF and
  // caches), when the analyses that needed them are done; the reader's results stay.
  void ReleaseMemory();

 private:
  DumpSession() = default;

  std::vector<DumpFileHandle> files_;
  DumpSessionOptions options_;
  std::string label_;
  VmcoreContents contents_;
  std::unique_ptr<DumpFile> memory_;
  std::optional<Error> memory_error_;
  std::unique_ptr<kernel::KernelState> kernel_;
  std::optional<Error> kernel_error_;
};

}  // namespace ktriage::pipeline
