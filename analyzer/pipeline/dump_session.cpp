// DumpSession: the reader process first, then this process's own open on the same descriptors.
#include "analyzer/pipeline/dump_session.h"

namespace ktriage::pipeline {

DumpSession::~DumpSession() = default;

Result<std::unique_ptr<DumpSession>> DumpSession::Open(const std::vector<std::string>& paths,
                                                       const DumpSessionOptions& options) {
  Result<std::vector<DumpFileHandle>> files = OpenDumpFiles(paths);
  if (!files) return files.error();
  return Open(std::move(*files), options);
}

Result<std::unique_ptr<DumpSession>> DumpSession::Open(std::vector<DumpFileHandle> files,
                                                       const DumpSessionOptions& options) {
  if (files.empty()) return Error{"no dump file given"};
  VmcoreReadOptions read;
  read.symbols = options.symbols;
  read.reader = options.reader;
  read.temp_dir = options.temp_dir;
  Result<VmcoreContents> contents = ReadVmcore(files, read);
  if (!contents) return contents.error();
  std::unique_ptr<DumpSession> session(new DumpSession());
  session->label_ = DumpLabel(files);
  session->files_ = std::move(files);
  session->options_ = options;
  session->contents_ = std::move(*contents);
  return session;
}

Result<DumpFile*> DumpSession::Memory() {
  if (memory_) return memory_.get();
  if (memory_error_) return *memory_error_;
  DumpOpenOptions open;
  open.temp_dir = options_.temp_dir;
  Result<std::unique_ptr<DumpFile>> opened = DumpFile::Open(files_, open);
  if (!opened) {
    memory_error_ = opened.error();
    return *memory_error_;
  }
  memory_ = std::move(*opened);
  return memory_.get();
}

void DumpSession::ReleaseMemory() {
  kernel_.reset();
  kernel_error_.reset();
  memory_.reset();
  memory_error_.reset();
}

Result<kernel::KernelState*> DumpSession::Kernel(const std::string& vmlinux) {
  if (kernel_) return kernel_.get();
  if (kernel_error_) return *kernel_error_;
  Result<DumpFile*> memory = Memory();
  if (!memory) return memory.error();
  kernel::KernelSources sources{vmlinux, options_.types_cache_dir, options_.types};
  Result<std::unique_ptr<kernel::KernelState>> state = kernel::KernelState::Open(**memory, sources);
  if (!state) {
    kernel_error_ = Error{name() + ": " + state.error().message};
    return *kernel_error_;
  }
  kernel_ = std::move(*state);
  return kernel_.get();
}

}  // namespace ktriage::pipeline
