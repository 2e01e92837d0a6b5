// DebugBinary: libdwfl offline modules, the symbol index behind FindSymbol, and the inline chain
// walk behind Describe (the same walk as elfutils' addr2line -i: scopes from dwarf_getscopes,
// each inlined subroutine's DW_AT_call_file/line giving the line in its caller).
#include "symbols/debug_binary.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/text.h"
#include "symbols/source_path.h"

namespace ktriage::symbols {

std::string SourceLocation::ToString() const {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

namespace {

// No search for separate debug files: the files we open are the debug files (Debian's -dbg
// vmlinux and .ko carry their DWARF), and libdwfl's standard search would also reach out to
// debuginfod on its own whenever DEBUGINFOD_URLS is set. Finding files is DebuginfoLocator's job.
int NoSeparateDebuginfo(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word, char**) {
  return -1;
}

const Dwfl_Callbacks kOfflineCallbacks = {
    nullptr,                      // find_elf: offline modules are given as files
    NoSeparateDebuginfo,          // find_debuginfo
    dwfl_offline_section_address, // section_address: lays out ET_REL sections
    nullptr,                      // debuginfo_path
};

std::string LibdwflError() {
  const char* m = dwfl_errmsg(-1);
  return m ? m : "unknown libdwfl error";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A .ko.zst decompressed into an anonymous memory file, which libdwfl then reads like any file
// (Debian's libdw 0.188 is built without zstd; kmod installs modules as .ko.zst on newer systems).
Result<int> DecompressZstd(const std::string& path) {
  constexpr uint64_t kMaxOutput = uint64_t{4} << 30;  // bounds what a corrupt frame can make us write
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Error{path + ": " + std::strerror(errno)};
  int out = ::memfd_create("ktriage-ko", MFD_CLOEXEC);
  if (out < 0) {
    const int err = errno;
    ::close(in);
    return Error{path + ": memfd_create: " + std::strerror(err)};
  }
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::vector<char> ibuf(ZSTD_DStreamInSize()), obuf(ZSTD_DStreamOutSize());
  uint64_t written = 0;
  size_t last = 0;
  std::string error;
  bool any = false;
  for (;;) {
    ssize_t got = ::read(in, ibuf.data(), ibuf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error = std::strerror(errno);
      break;
    }
    if (got == 0) {
      if (!any) error = "empty file";
      else if (last != 0) error = "truncated zstd data";
      break;
    }
    any = true;
    ZSTD_inBuffer input{ibuf.data(), static_cast<size_t>(got), 0};
    while (input.pos < input.size && error.empty()) {
      ZSTD_outBuffer output{obuf.data(), obuf.size(), 0};
      last = ZSTD_decompressStream(dctx, &output, &input);
      if (ZSTD_isError(last)) {
        error = std::string("not zstd data or corrupt: ") + ZSTD_getErrorName(last);
        break;
      }
      written += output.pos;
      if (written > kMaxOutput) error = "decompresses to more than 4 GiB";
      for (size_t off = 0; off < output.pos && error.empty();) {
        ssize_t put = ::write(out, obuf.data() + off, output.pos - off);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) error = std::string("writing the decompressed module: ") + std::strerror(errno);
        else off += static_cast<size_t>(put);
      }
    }
    if (!error.empty()) break;
  }
  ZSTD_freeDCtx(dctx);
  ::close(in);
  if (!error.empty()) {
    ::close(out);
    return Error{path + ": " + error};
  }
  return out;
}

// The name of a DIE, following DW_AT_abstract_origin / DW_AT_specification (inlined copies carry
// their name on the abstract instance).
std::string DieName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, DW_AT_name, &attr) != nullptr) {
    if (const char* s = dwarf_formstring(&attr)) return s;
  }
  return "";
}

// e_type of the ELF file at `fd` (or, when it is -1, at `path`); ET_NONE when unreadable.
unsigned ElfType(int fd, const std::string& path) {
  unsigned char header[18] = {};
  const int use = fd >= 0 ? fd : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (use < 0) return ET_NONE;
  const bool ok = ::pread(use, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
  if (use != fd) ::close(use);
  if (!ok || std::memcmp(header, ELFMAG, SELFMAG) != 0) return ET_NONE;
  // e_type in the file's byte order (EI_DATA).
  return header[EI_DATA] == ELFDATA2MSB ? (header[16] << 8 | header[17]) : (header[17] << 8 | header[16]);
}

}  // namespace

struct DebugBinary::Dwfl {
  ::Dwfl* handle = nullptr;
  Dwfl_Module* module = nullptr;
  ~Dwfl() {
    if (handle) dwfl_end(handle);
  }
};

DebugBinary::~DebugBinary() = default;

Result<std::unique_ptr<DebugBinary>> DebugBinary::Open(const std::string& path) {
  std::unique_ptr<DebugBinary> binary(new DebugBinary());
  binary->path_ = path;
  int fd = -1;
  if (EndsWith(path, ".zst")) {
    Result<int> memfd = DecompressZstd(path);
    if (!memfd.ok()) return memfd.error();
    fd = *memfd;
  } else if (::access(path.c_str(), R_OK) != 0) {
    return Error{path + ": " + std::strerror(errno)};
  }
  binary->dwfl_ = std::make_unique<Dwfl>();
  binary->dwfl_->handle = dwfl_begin(&kOfflineCallbacks);
  if (!binary->dwfl_->handle) {
    if (fd >= 0) ::close(fd);
    return Error{path + ": " + LibdwflError()};
  }
  // On success libdwfl owns `fd`; on failure it is still ours. A position-independent vmlinux
  // (arm64's is ET_DYN, linked at 0xffff800008000000) is reported at its link address: offline
  // reporting would lay it out at a small base like a shared library, and the kernel addresses
  // callers hand in would miss it. Modules (ET_REL) need the offline layout of their sections.
  Dwfl_Module* module = ElfType(fd, path) == ET_DYN
                            ? dwfl_report_elf(binary->dwfl_->handle, "", path.c_str(), fd, 0, true)
                            : dwfl_report_offline(binary->dwfl_->handle, "", path.c_str(), fd);
  if (!module) {
    if (fd >= 0) ::close(fd);
    return Error{path + ": not a usable ELF file: " + LibdwflError()};
  }
  dwfl_report_end(binary->dwfl_->handle, nullptr, nullptr);
  binary->dwfl_->module = module;

  GElf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  GElf_Ehdr ehdr;
  if (!elf || !gelf_getehdr(elf, &ehdr)) return Error{path + ": cannot read its ELF header: " + LibdwflError()};
  binary->relocatable_ = ehdr.e_type == ET_REL;

  const unsigned char* bits = nullptr;
  GElf_Addr note_address = 0;
  const int length = dwfl_module_build_id(module, &bits, &note_address);
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < length; ++i) {
    binary->build_id_ += kHex[bits[i] >> 4];
    binary->build_id_ += kHex[bits[i] & 15];
  }
  Dwarf_Addr dwarf_bias = 0;
  binary->has_dwarf_ = dwfl_module_getdwarf(module, &dwarf_bias) != nullptr;
  if (dwfl_module_getsymtab(module) <= 0) return Error{path + ": no symbol table: " + LibdwflError()};
  return binary;
}

void DebugBinary::IndexSymbols() const {
  indexed_ = true;
  Dwfl_Module* module = dwfl_->module;
  const int count = dwfl_module_getsymtab(module);
  struct Entry {
    uint64_t address;
    GElf_Word section;
    const char* name;  // into libelf's string table, alive as long as the Dwfl
    bool named;        // a function or object a log can name
  };
  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(std::max(count, 0)));
  std::unordered_map<GElf_Word, uint64_t> section_end;
  for (int i = 1; i < count; ++i) {
    GElf_Sym sym;
    GElf_Addr address = 0;
    GElf_Word section = 0;
    const char* name = dwfl_module_getsym_info(module, i, &sym, &address, &section, nullptr, nullptr);
    if (!name || !*name || section == SHN_UNDEF || section == SHN_ABS || section >= SHN_LORESERVE) continue;
    const int type = GELF_ST_TYPE(sym.st_info);
    if (type == STT_SECTION || type == STT_FILE) continue;
    // scripts/kallsyms leaves out local labels and mapping symbols, so sizes skip over them too.
    if (name[0] == '$' || (name[0] == '.' && name[1] == 'L')) continue;
    entries.push_back({address, section, name, type == STT_FUNC || type == STT_OBJECT || type == STT_NOTYPE});
    if (relocatable_ && !section_end.count(section)) {
      GElf_Addr bias = 0;
      Elf* elf = dwfl_module_getelf(module, &bias);
      GElf_Shdr shdr;
      Elf_Scn* scn = elf ? elf_getscn(elf, section) : nullptr;
      if (scn && gelf_getshdr(scn, &shdr)) {
        // The section's start in libdwfl's layout is where its symbols point, minus their offset.
        section_end[section] = address - sym.st_value + shdr.sh_size;
      }
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.address < b.address; });
  symbols_.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (!e.named) continue;
    SymbolCandidate c;
    c.address = e.address;
    size_t j = i + 1;
    while (j < entries.size() && entries[j].address == e.address) ++j;
    // In a module the sections are placed by the loader: only a symbol of the same section bounds
    // the size. In vmlinux the layout is final and kallsyms measures to the next symbol anywhere.
    const bool next_counts = j < entries.size() && (!relocatable_ || entries[j].section == e.section);
    if (next_counts) {
      c.size = entries[j].address - e.address;
    } else if (relocatable_ && section_end.count(e.section)) {
      c.size = section_end[e.section] - e.address;
      c.size_known = false;
    } else {
      c.size_known = false;
    }
    symbols_.emplace(e.name, c);
  }
}

std::vector<SymbolCandidate> DebugBinary::FindSymbol(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!indexed_) IndexSymbols();
  std::vector<SymbolCandidate> out;
  auto [first, last] = symbols_.equal_range(std::string(name));
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  std::sort(out.begin(), out.end(), [](const SymbolCandidate& a, const SymbolCandidate& b) { return a.address < b.address; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const SymbolCandidate& a, const SymbolCandidate& b) { return a.address == b.address; }),
            out.end());
  return out;
}

Result<AddressInfo> DebugBinary::Describe(uint64_t address) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = described_.find(address); it != described_.end()) return it->second;
  Result<AddressInfo> info = DescribeUncached(address);
  described_.emplace(address, info);
  return info;
}

Result<AddressInfo> DebugBinary::DescribeUncached(uint64_t address) const {
  Dwfl_Module* module = dwfl_->module;
  AddressInfo info;
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(module, address, &bias);
  std::string comp_dir;
  if (cu) {
    Dwarf_Attribute attr;
    if (dwarf_attr(cu, DW_AT_comp_dir, &attr)) {
      if (const char* s = dwarf_formstring(&attr)) comp_dir = s;
    }
  }
  // The line of the address itself: inside the innermost inlined function, if any.
  std::optional<SourceLocation> location;
  if (Dwfl_Line* line = dwfl_module_getsrc(module, address)) {
    Dwarf_Addr line_address = 0;
    int lineno = 0, column = 0;
    if (const char* file = dwfl_lineinfo(line, &line_address, &lineno, &column, nullptr, nullptr)) {
      location = SourceLocation{TreeRelativePath(file, comp_dir), lineno, column};
    }
  }
  // dwarf_getscopes stops at an inlined instance's abstract origin; the concrete nesting (the
  // callers it was inlined into, up to the real function) comes from the DIE tree of the
  // innermost instance, via dwarf_getscopes_die, as elfutils' addr2line -i does.
  Dwarf_Die* pc_scopes = nullptr;
  const int npc = cu ? dwarf_getscopes(cu, address - bias, &pc_scopes) : 0;
  Dwarf_Die* scopes = nullptr;
  int n = 0;
  for (int i = 0; i < npc; ++i) {
    const int tag = dwarf_tag(&pc_scopes[i]);
    if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
      n = dwarf_getscopes_die(&pc_scopes[i], &scopes);
      break;
    }
  }
  free(pc_scopes);
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (n > 0 && dwarf_getsrcfiles(cu, &files, &nfiles) != 0) files = nullptr;
  bool found_function = false;
  for (int i = 0; i < n; ++i) {
    Dwarf_Die* scope = &scopes[i];
    const int tag = dwarf_tag(scope);
    if (tag == DW_TAG_subprogram) {
      info.function = DieName(scope);
      info.source = location;
      found_function = true;
      break;
    }
    if (tag != DW_TAG_inlined_subroutine) continue;
    InlinedFunction inlined;
    inlined.function = DieName(scope);
    if (location) inlined.source = *location;
    info.inlined.push_back(std::move(inlined));
    // Where the caller called it: the location for the next scope out.
    location.reset();
    Dwarf_Attribute attr;
    Dwarf_Word file_index = 0, call_line = 0, call_column = 0;
    if (files && dwarf_formudata(dwarf_attr(scope, DW_AT_call_file, &attr), &file_index) == 0 &&
        dwarf_formudata(dwarf_attr(scope, DW_AT_call_line, &attr), &call_line) == 0) {
      if (dwarf_attr(scope, DW_AT_call_column, &attr)) (void)dwarf_formudata(&attr, &call_column);
      if (const char* file = dwarf_filesrc(files, file_index, nullptr, nullptr)) {
        location = SourceLocation{TreeRelativePath(file, comp_dir), static_cast<int>(call_line),
                                  static_cast<int>(call_column)};
      }
    }
  }
  free(scopes);
  if (!found_function) {
    // No DWARF scope (assembly, or a file without DWARF): the symbol table still names it.
    GElf_Off offset = 0;
    GElf_Sym sym;
    const char* name = dwfl_module_addrinfo(module, address, &offset, &sym, nullptr, nullptr, nullptr);
    if (!name) return Error{path_ + ": no function covers address " + HexString(address)};
    info.function = name;
    info.inlined.clear();
    info.source = location;
  }
  return info;
}

}  // namespace ktriage::symbols
