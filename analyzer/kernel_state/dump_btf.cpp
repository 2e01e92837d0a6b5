// ReadKernelBtfBlob, ReadKernelBtf, AddModuleBtf: bounded reads, then BtfTypes' checks.
#include "analyzer/kernel_state/dump_btf.h"

#include "analyzer/kernel_state/kernel_context.h"
#include "base/text.h"

namespace ktriage::kernel {
namespace {

// The kernel's BTF is a few MB (5.5 MB on Debian's 6.1); more is not BTF.
constexpr uint64_t kMaxBtfBytes = 64u << 20;

std::string AddressRange(uint64_t start, uint64_t size) { return HexString(start) + ".." + HexString(start + size); }

}  // namespace

Result<BtfBlob> ReadKernelBtfBlob(MemoryReader& memory, KernelSymbols& symbols, const KernelArch& arch,
                                  int64_t kernel_offset) {
  Result<uint64_t> start = SymbolInDump(symbols, arch, kernel_offset, "__start_BTF");
  Result<uint64_t> stop = SymbolInDump(symbols, arch, kernel_offset, "__stop_BTF");
  if (!start || !stop)
    return Error{"no BTF in this kernel (" + (!start ? start.error() : stop.error()).message +
                 "; built without CONFIG_DEBUG_INFO_BTF?)"};
  if (*stop <= *start || *stop - *start > kMaxBtfBytes)
    return Error{"__start_BTF..__stop_BTF (" + HexString(*start) + ".." + HexString(*stop) + ") is no BTF section"};
  BtfBlob blob;
  blob.address = *start;
  blob.bytes.resize(*stop - *start);
  if (Status read = memory.ReadVirtual(*start, blob.bytes.data(), blob.bytes.size()); !read) {
    return Error{"the kernel's BTF at " + AddressRange(*start, blob.bytes.size()) +
                 " cannot be read from the dump (pages filtered out by makedumpfile's dump level?): " +
                 read.error().message};
  }
  return blob;
}

Result<std::unique_ptr<BtfTypes>> ReadKernelBtf(MemoryReader& memory, KernelSymbols& symbols, const KernelArch& arch,
                                                int64_t kernel_offset) {
  Result<BtfBlob> blob = ReadKernelBtfBlob(memory, symbols, arch, kernel_offset);
  if (!blob) return blob.error();
  return BtfTypes::Parse(blob->bytes, "the dump (" + AddressRange(blob->address, blob->bytes.size()) + ")");
}

void AddModuleBtf(MemoryReader& memory, const ModuleList& modules, BtfTypes& types, std::vector<std::string>& notes) {
  for (const LoadedModule& m : modules.modules) {
    if (m.btf == 0 || m.btf_size == 0) continue;
    if (m.btf_size > kMaxBtfBytes) {
      notes.push_back("module " + m.name + ": BTF of " + std::to_string(m.btf_size) + " bytes is not read");
      continue;
    }
    std::vector<unsigned char> blob(m.btf_size);
    if (Status read = memory.ReadVirtual(m.btf, blob.data(), blob.size()); !read) {
      notes.push_back("module " + m.name + "'s BTF at " + AddressRange(m.btf, m.btf_size) + ": " + read.error().message);
      continue;
    }
    if (Status added = types.AddModule(m.name, blob); !added) notes.push_back(added.error().message);
  }
}

}  // namespace ktriage::kernel
