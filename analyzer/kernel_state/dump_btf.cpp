// ReadKernelBtfBlob, ReadKernelBtf, AddModuleBtf: bounded reads, then BtfTypes' checks.
#include "analyzer/kernel_state/dump_btf.h"

#include "analyzer/kernel_state/kernel_list.h"
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

std::vector<ModuleBtf> ReadModuleBtfBlobs(const KernelContext& k, const ModuleList& modules,
                                          std::vector<std::string>& problems) {
  std::vector<ModuleBtf> out;
  Result<uint64_t> head = k.Symbol("btf_modules");
  Result<uint64_t> link = k.types.Offset("btf_module", "list");
  if (!head || !link) return out;  // a kernel without module BTF
  auto visit = [&](uint64_t entry) {
    Result<KernelObject> bm = k.Object("btf_module", entry);
    if (!bm) {
      problems.push_back("module BTF: " + bm.error().message);
      return true;
    }
    Result<uint64_t> module = bm->Unsigned("module"), btf = bm->Unsigned("btf");
    if (!module || !btf || *btf == 0) return true;
    std::string name = HexString(*module);
    for (const LoadedModule& m : modules.modules) {
      if (m.address == *module) name = m.name;
    }
    Result<KernelObject> b = k.Object("btf", *btf);
    Result<uint64_t> data = b ? b->Unsigned("data") : Result<uint64_t>(b.error());
    Result<uint64_t> size = b ? b->Unsigned("data_size") : Result<uint64_t>(b.error());
    if (!data || !size) {
      problems.push_back("module " + name + "'s BTF: " + (!data ? data.error() : size.error()).message);
      return true;
    }
    if (*size == 0 || *size > kMaxBtfBytes) {
      problems.push_back("module " + name + ": BTF of " + std::to_string(*size) + " bytes is not read");
      return true;
    }
    ModuleBtf m{name, BtfBlob{*data, std::vector<unsigned char>(*size)}};
    if (Status read = k.memory.ReadVirtual(*data, m.blob.bytes.data(), m.blob.bytes.size()); !read) {
      problems.push_back("module " + name + "'s BTF at " + AddressRange(*data, *size) + ": " + read.error().message);
      return true;
    }
    out.push_back(std::move(m));
    return true;
  };
  if (auto broken = WalkList(k.memory, *head, *link, 65536, visit)) problems.push_back("btf_modules: " + *broken);
  return out;
}

void AddModuleBtf(const KernelContext& k, const ModuleList& modules, BtfTypes& types, std::vector<std::string>& notes) {
  for (const ModuleBtf& m : ReadModuleBtfBlobs(k, modules, notes)) {
    if (Status added = types.AddModule(m.module, m.blob.bytes); !added) notes.push_back(added.error().message);
  }
}

}  // namespace ktriage::kernel
