// DumpArch: the architecture of a dump whose header does not name it in a form libkdumpfile
// accepts (QEMU's kdump headers), derived from what the dump does say.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analyzer/vmcore/vmcoreinfo.h"

namespace ktriage {

struct DerivedArch {
  std::string name;    // libkdumpfile's arch.name: "x86_64", "aarch64", "ppc64", "s390x", "ia32", "arm"
  std::string source;  // for the warning: "the diskdump header's utsname.machine", "VMCOREINFO SYMBOL(init_top_pgt)"
};

// libkdumpfile's arch name for a `uname -m` value ("x86_64", "arm64", "ppc64le", "i686"...); "" if unknown.
std::string KdumpArchFromMachine(std::string_view machine);

// In order of trust: the diskdump header's utsname.machine (`header_machine`, "" when absent),
// VMCOREINFO entries only one architecture exports (SYMBOL(init_top_pgt), NUMBER(phys_base) for
// x86_64; NUMBER(kimage_voffset) for aarch64...), then the OSRELEASE suffix (Debian "-amd64",
// Fedora/RHEL ".x86_64"). nullopt when nothing says.
std::optional<DerivedArch> DeriveDumpArch(std::string_view header_machine, const VmcoreInfo& info);

}  // namespace ktriage
