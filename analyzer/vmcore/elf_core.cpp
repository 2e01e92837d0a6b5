// ReadElfLayout and ParseElfNotes: bounds-checked reads of an untrusted ELF core file.
#include "analyzer/vmcore/elf_core.h"

#include "analyzer/vmcore/file_bytes.h"

namespace ktriage {

std::optional<ElfLayout> ReadElfLayout(int fd) {
  unsigned char eh[64];
  auto got = PreadFull(fd, eh, sizeof eh, 0);
  if (!got || *got < 52) return std::nullopt;
  ElfLayout layout;
  layout.little_endian = eh[5] == 1;
  const bool le = layout.little_endian, is64 = eh[4] == 2;
  if (is64 && *got < 64) return std::nullopt;
  const uint64_t phoff = is64 ? LoadUnsigned(eh + 32, 8, le) : LoadUnsigned(eh + 28, 4, le);
  const uint64_t phentsize = LoadUnsigned(eh + (is64 ? 54 : 42), 2, le);
  const uint64_t phnum = LoadUnsigned(eh + (is64 ? 56 : 44), 2, le);
  const size_t need = is64 ? 56 : 32;
  if (phentsize < need || phnum == 0xffff) return std::nullopt;  // PN_XNUM: libkdumpfile judges those
  for (uint64_t i = 0; i < phnum; ++i) {
    unsigned char ph[56];
    auto n = PreadFull(fd, ph, need, phoff + i * phentsize);
    if (!n || *n < need) {
      layout.headers_cut_at = phoff + (i + 1) * phentsize;
      break;
    }
    ElfSegment s;
    s.type = static_cast<uint32_t>(LoadUnsigned(ph, 4, le));
    if (s.type != kPtLoad && s.type != kPtNote) continue;
    s.offset = is64 ? LoadUnsigned(ph + 8, 8, le) : LoadUnsigned(ph + 4, 4, le);
    s.paddr = is64 ? LoadUnsigned(ph + 24, 8, le) : LoadUnsigned(ph + 12, 4, le);
    s.filesz = is64 ? LoadUnsigned(ph + 32, 8, le) : LoadUnsigned(ph + 16, 4, le);
    if (s.offset + s.filesz < s.offset) continue;  // corrupt: libkdumpfile judges it
    layout.segments.push_back(s);
  }
  return layout;
}

std::vector<ElfNote> ParseElfNotes(std::string_view area, bool little_endian) {
  std::vector<ElfNote> notes;
  auto padded = [](uint64_t n) { return (n + 3) & ~uint64_t{3}; };
  while (area.size() >= 12) {
    const auto* p = reinterpret_cast<const unsigned char*>(area.data());
    const uint64_t namesz = LoadUnsigned(p, 4, little_endian), descsz = LoadUnsigned(p + 4, 4, little_endian);
    const uint32_t type = static_cast<uint32_t>(LoadUnsigned(p + 8, 4, little_endian));
    if (padded(namesz) > area.size() - 12 || padded(descsz) > area.size() - 12 - padded(namesz)) break;
    ElfNote note;
    note.name = area.substr(12, namesz);
    if (!note.name.empty() && note.name.back() == '\0') note.name.remove_suffix(1);
    note.type = type;
    note.desc = area.substr(12 + padded(namesz), descsz);
    notes.push_back(note);
    area.remove_prefix(12 + padded(namesz) + padded(descsz));
  }
  return notes;
}

}  // namespace ktriage
