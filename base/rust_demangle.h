// Rust symbols (the v0 mangling the kernel's Rust code is built with) turned back into paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ktriage {

// "_RNvMs3_NtCs..._11rust_binder7processNtB5_7Process10update_ref" ->
// "<rust_binder::process::Process>::update_ref", generic arguments left out; nullopt for a name
// that is not a Rust symbol or that the demangler (GCC's libiberty) does not accept.
std::optional<std::string> DemangleRust(std::string_view mangled);

}  // namespace ktriage
