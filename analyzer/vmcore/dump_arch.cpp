// DumpArch: architecture from the diskdump header, VMCOREINFO keys and the release string.
#include "analyzer/vmcore/dump_arch.h"

#include <array>
#include <utility>

namespace ktriage {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string KdumpArchFromMachine(std::string_view m) {
  if (m == "x86_64" || m == "amd64") return "x86_64";
  if (m == "aarch64" || m == "arm64") return "aarch64";
  if (m == "ppc64" || m == "ppc64le") return "ppc64";
  if (m == "s390x") return "s390x";
  if (m == "i386" || m == "i486" || m == "i586" || m == "i686") return "ia32";
  if (m.substr(0, 3) == "arm") return "arm";
  return "";
}

std::optional<DerivedArch> DeriveDumpArch(std::string_view header_machine, const VmcoreInfo& info) {
  if (std::string name = KdumpArchFromMachine(header_machine); !name.empty())
    return DerivedArch{name, "the diskdump header's utsname.machine \"" + std::string(header_machine) + "\""};

  // Keys exported by exactly one architecture's arch_crash_save_vmcoreinfo().
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kSymbols = {{
      {"init_top_pgt", "x86_64"},  // x86_64 (ia32 exports swapper_pg_dir only)
      {"lowcore_ptr", "s390x"},
      {"mmu_psize_defs", "ppc64"},
  }};
  for (const auto& [symbol, arch] : kSymbols)
    if (info.symbols.count(symbol)) return DerivedArch{std::string(arch), "VMCOREINFO SYMBOL(" + std::string(symbol) + ")"};
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kNumbers = {{
      {"phys_base", "x86_64"},
      {"pgtable_l5_enabled", "x86_64"},
      {"kimage_voffset", "aarch64"},
      {"TCR_EL1_T1SZ", "aarch64"},
  }};
  for (const auto& [number, arch] : kNumbers)
    if (info.numbers.count(number)) return DerivedArch{std::string(arch), "VMCOREINFO NUMBER(" + std::string(number) + ")"};

  // Distribution kernel release suffixes.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kSuffixes = {{
      {"-amd64", "x86_64"}, {".x86_64", "x86_64"},  {"-arm64", "aarch64"}, {".aarch64", "aarch64"},
      {"-ppc64el", "ppc64"}, {".ppc64le", "ppc64"}, {"-s390x", "s390x"},   {".s390x", "s390x"},
      {"-686", "ia32"},      {"-686-pae", "ia32"},
  }};
  for (const auto& [suffix, arch] : kSuffixes)
    if (EndsWith(info.osrelease, suffix))
      return DerivedArch{std::string(arch), "the VMCOREINFO OSRELEASE suffix \"" + std::string(suffix) + "\""};
  return std::nullopt;
}

}  // namespace ktriage
