// Fuzz target: BTF blobs as a dump would hold them, through our header and type checks, libbpf's
// parse and the member lookups the walks make, and a second blob added as a module's split BTF.
//
// Input: u16 length of the kernel blob, the kernel blob, then the module blob (the rest).
// fuzz/make-seeds.sh writes a small well-formed pair (a task_struct with an anonymous union).
#include <cstdint>
#include <span>
#include <string>

#include "analyzer/kernel_state/btf_types.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ktriage;
  fuzz::FuzzInput in(data, size);
  const size_t kernel_size = in.U16();
  const std::string_view kernel = in.Bytes(kernel_size);
  const std::string_view module = in.Bytes(in.remaining());
  auto bytes = [](std::string_view s) {
    return std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  auto types = kernel::BtfTypes::Parse(bytes(kernel), "fuzz");
  if (!types.ok()) return 0;
  (void)(*types)->AddModule("m", bytes(module));
  for (const char* type : {"task_struct", "module_priv", "x"}) {
    (void)(*types)->SizeOf(type);
    for (const char* path : {"pid", "state", "next", "next.pid", "u.state", "missing"}) (void)(*types)->Member(type, path);
  }
  // Enums share the index with structs under another key: a struct named like one is not one.
  for (const char* e : {"node_stat_item", "task_struct", "x"}) {
    for (const char* name : {"NR_FILE_PAGES", "A", "pid"}) (void)(*types)->EnumValue(e, name);
  }
  return 0;
}
