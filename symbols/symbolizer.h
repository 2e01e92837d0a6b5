// Symbolizer: turns frames as kernel logs print them (`netdev_pick_tx+0x27c/0x2e0 [veth]`) and
// raw kernel addresses into source lines with their inline chains, using the debuginfo of the
// kernel that printed them. Debuginfo is found and loaded lazily, once per binary, and shared.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "symbols/debuginfo_locator.h"
#include "symbols/source_location.h"

namespace ktriage::symbols {

class DebugBinary;

// A frame as a log prints it.
struct FrameRef {
  std::string function;            // "netdev_pick_tx", suffixes kept ("foo.isra.0")
  uint64_t offset = 0;             // +0x27c
  std::optional<uint64_t> size;    // /0x2e0: picks among same-named symbols, and detects mismatches
  std::string module;              // "veth"; "" for vmlinux
  std::string build_id;            // the module's build-id when the log prints it; lowercase hex
  bool return_address = true;      // a call's return address: look up pc - 1 (false for RIP/PC)
};

struct Symbolized {
  AddressInfo where;
  std::string binary;  // the debuginfo file that answered
};

struct SymbolizerOptions {
  std::string vmlinux;           // this file, whatever the release (--vmlinux)
  std::string release;           // `uname -r` of the kernel that printed the log (-r, or the log's own)
  std::string vmlinux_build_id;  // a dump's VMCOREINFO BUILD-ID: finds vmlinux and rejects others
  SearchPaths search;
};

class Symbolizer {
 public:
  explicit Symbolizer(SymbolizerOptions options);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // An error (a value, for one frame) when there is no debuginfo for the frame's binary, no such
  // symbol, or the debuginfo does not match the frame; Notes() says why once per binary.
  Result<Symbolized> Resolve(const FrameRef& frame);
  // Why no frame of this binary ("" and any build-id for vmlinux) can be resolved: the error
  // every Resolve of it would give. Null when its debuginfo is loaded. Lets a caller with many
  // frames and no debuginfo (the common case) ask once, not once per frame.
  const std::string* Unusable(const std::string& module, const std::string& build_id);
  // A kernel text address as the running kernel saw it (a dump's RIP): KASLR's `kernel_offset`
  // (VMCOREINFO KERNELOFFSET) is taken off before looking in vmlinux.
  Result<Symbolized> ResolveKernelAddress(uint64_t address, uint64_t kernel_offset, bool return_address);

  // One line per binary that was searched and not found, or found and rejected, in first-seen
  // order: "no debuginfo for module veth (searched: ...)", "... does not match ...".
  std::vector<std::string> Notes() const;

 private:
  struct Loaded {
    std::unique_ptr<DebugBinary> binary;  // null: none usable
    std::string problem;                  // why not, for Notes()
  };
  Loaded& Binary(const std::string& module, const std::string& build_id);  // under mutex_
  Result<Symbolized> Describe(DebugBinary& binary, uint64_t address, bool return_address);
  void Note(const std::string& line);

  SymbolizerOptions options_;
  DebuginfoLocator locator_;
  std::mutex mutex_;
  std::map<std::string, Loaded> loaded_;  // "" = vmlinux; else the normalised module name (+ build-id)
  std::vector<std::string> notes_;
};

}  // namespace ktriage::symbols
