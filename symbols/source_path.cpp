// TreeRelativePath: strips the build directory from DWARF source paths.
#include "symbols/source_path.h"

#include <array>

namespace ktriage::symbols {
namespace {

// Removes "./" components and collapses "//", without touching "..": a path that climbs out of
// the build directory is shown as recorded.
std::string Clean(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  size_t i = 0;
  if (!path.empty() && path[0] == '/') {
    out += '/';
    i = 1;
  }
  while (i < path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(i, end - i);
    if (!part.empty() && part != ".") {
      if (!out.empty() && out.back() != '/') out += '/';
      out += part;
    }
    i = end + 1;
  }
  return out;
}

// Where the kernel tree starts inside a recorded path. Debian builds each flavour in
// debian/build/build_<arch>_<featureset>_<flavour>/ (out of tree, O=); Fedora/RHEL-style trees
// and plain O= builds record absolute paths under the directory given to the compiler.
size_t TreeStart(std::string_view path) {
  constexpr std::string_view kDebian = "debian/build/build_";
  if (size_t at = path.find(kDebian); at != std::string_view::npos) {
    size_t slash = path.find('/', at + kDebian.size());
    if (slash != std::string_view::npos) return slash + 1;
  }
  return std::string_view::npos;
}

}  // namespace

std::string TreeRelativePath(std::string_view path, std::string_view comp_dir) {
  std::string cleaned = Clean(path);
  if (size_t start = TreeStart(cleaned); start != std::string_view::npos) return cleaned.substr(start);
  if (!comp_dir.empty() && !cleaned.empty() && cleaned[0] == '/') {
    std::string dir = Clean(comp_dir);
    // Assembly and some generated files are recorded by absolute source path, while the build
    // ran in <tree>/debian/build/build_*/: the tree is the part of comp_dir before "debian/".
    if (size_t debian = dir.find("/debian/build/build_"); debian != std::string::npos) {
      const std::string tree = dir.substr(0, debian + 1);
      if (cleaned.compare(0, tree.size(), tree) == 0) return cleaned.substr(tree.size());
    }
    if (!dir.empty() && dir.back() != '/') dir += '/';
    if (cleaned.compare(0, dir.size(), dir) == 0) return cleaned.substr(dir.size());
  }
  return cleaned;
}

}  // namespace ktriage::symbols
