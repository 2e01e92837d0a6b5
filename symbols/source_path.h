// Source paths as a kernel engineer reads them: relative to the kernel tree, without the build
// directory that the compiler recorded (Debian: debian/build/build_amd64_none_cloud-amd64/).
#pragma once

#include <string>
#include <string_view>

namespace ktriage::symbols {

// `path` as libdw gives it (absolute, or relative to `comp_dir`), made relative to the source tree
// when a known build-directory layout shows where the tree starts (Debian's debian/build/build_*/
// in the path or in comp_dir, or comp_dir itself); else returned cleaned only.
std::string TreeRelativePath(std::string_view path, std::string_view comp_dir);

}  // namespace ktriage::symbols
