// libiberty (Debian's libiberty-dev, the demangler of GCC and binutils) reads every Rust mangling;
// it wants a NUL-terminated name and returns a malloc'd one.
#include "base/rust_demangle.h"

#include <libiberty/demangle.h>

#include <cstdlib>
#include <memory>

namespace ktriage {

std::optional<std::string> DemangleRust(std::string_view mangled) {
  if (mangled.size() < 3 || mangled[0] != '_' || mangled[1] != 'R' || mangled[2] < 'A' || mangled[2] > 'Z')
    return std::nullopt;
  const std::string name(mangled);
  std::unique_ptr<char, decltype(&std::free)> out(rust_demangle(name.c_str(), 0), &std::free);
  if (!out) return std::nullopt;
  return std::string(out.get());
}

}  // namespace ktriage
