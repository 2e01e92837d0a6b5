// VmlinuxSymbols: one pass over .symtab with libelf.
#include "analyzer/kernel_state/vmlinux_symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ktriage::kernel {

Result<VmlinuxSymbols> VmlinuxSymbols::Open(const std::string& vmlinux) {
  elf_version(EV_CURRENT);
  const int fd = ::open(vmlinux.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{vmlinux + ": " + std::strerror(errno)};
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  VmlinuxSymbols out;
  out.path_ = vmlinux;
  Elf_Scn* scn = nullptr;
  while (elf != nullptr && (scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    if (shdr.sh_type == SHT_NOTE && out.build_id_.empty()) {
      Elf_Data* notes = elf_getdata(scn, nullptr);
      GElf_Nhdr nhdr;
      size_t name_at = 0, desc_at = 0;
      for (size_t at = 0; notes != nullptr && (at = gelf_getnote(notes, at, &nhdr, &name_at, &desc_at)) > 0;) {
        if (nhdr.n_type != NT_GNU_BUILD_ID || nhdr.n_namesz != 4 ||
            std::memcmp(static_cast<const char*>(notes->d_buf) + name_at, "GNU", 4) != 0)
          continue;
        static const char kHex[] = "0123456789abcdef";
        for (size_t i = 0; i < nhdr.n_descsz; ++i) {
          const auto byte = static_cast<const unsigned char*>(notes->d_buf)[desc_at + i];
          out.build_id_ += kHex[byte >> 4];
          out.build_id_ += kHex[byte & 0xf];
        }
        break;
      }
      continue;
    }
    if (shdr.sh_type != SHT_SYMTAB || shdr.sh_entsize == 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    const size_t count = data != nullptr ? shdr.sh_size / shdr.sh_entsize : 0;
    out.addresses_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr || sym.st_shndx == SHN_UNDEF) continue;
      const int type = GELF_ST_TYPE(sym.st_info);
      if (type != STT_OBJECT && type != STT_FUNC && type != STT_NOTYPE) continue;
      const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
      // Globals win over same-named statics (there is one init_task, many "count"s).
      if (name != nullptr && *name != '\0') {
        auto [it, inserted] = out.addresses_.emplace(name, sym.st_value);
        if (!inserted && GELF_ST_BIND(sym.st_info) == STB_GLOBAL) it->second = sym.st_value;
      }
    }
  }
  if (elf != nullptr) elf_end(elf);
  ::close(fd);
  if (out.addresses_.empty()) return Error{vmlinux + ": no symbol table"};
  return out;
}

Result<uint64_t> VmlinuxSymbols::Address(std::string_view name) {
  auto it = addresses_.find(std::string(name));
  if (it == addresses_.end()) return Error{"no symbol " + std::string(name) + " in " + path_};
  return it->second;
}

}  // namespace ktriage::kernel
