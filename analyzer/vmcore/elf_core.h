// The structure of an ELF core file that ktriage reads itself, besides libkdumpfile: its program
// headers (where the memory and the notes lie) and its notes (name, type, descriptor).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ktriage {

constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;

struct ElfSegment {
  uint32_t type = 0;  // kPtLoad or kPtNote: the others are not kept
  uint64_t offset = 0, paddr = 0, filesz = 0;
};

struct ElfLayout {
  bool little_endian = true;
  std::vector<ElfSegment> segments;  // in header order; offset + filesz never wraps
  // The program header table runs past the end of the file: where it would end, so far.
  std::optional<uint64_t> headers_cut_at;
};

// The program headers of the ELF file `fd` (32 or 64 bits, either byte order). nullopt when the
// file is too short for an ELF header, or libkdumpfile must judge it (PN_XNUM, odd entry sizes).
std::optional<ElfLayout> ReadElfLayout(int fd);

struct ElfNote {
  std::string_view name;  // without its NUL: "CORE", "VMCOREINFO", "QEMU"
  uint32_t type = 0;
  std::string_view desc;
};

// The notes of one note area (a PT_NOTE segment's bytes, or a kdump header's note section), up
// to the first header that does not fit: a damaged area yields what precedes the damage.
std::vector<ElfNote> ParseElfNotes(std::string_view area, bool little_endian);

}  // namespace ktriage
