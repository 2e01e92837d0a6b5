// DebuginfoLocator: where the debuginfo of vmlinux or of a module is, by explicit file, kernel
// release, module name (with '-' and '_' alike, .ko/.ko.xz/.ko.zst) or build-id, and through
// debuginfod. It finds files; DebugBinary opens them; the Symbolizer checks that they match.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ktriage::symbols {

struct SearchPaths {
  std::vector<std::string> module_dirs;                     // searched first, recursively
  std::vector<std::string> debug_roots{"/usr/lib/debug"};   // .build-id/, boot/vmlinux-R, lib/modules/R/
  std::vector<std::string> module_roots{"/lib/modules"};    // R/kernel/...: installed modules
  // The servers of DEBUGINFOD_URLS ("" for none), asked by build-id; libdebuginfod reads the
  // variable itself, this copy is for saying what was searched.
  std::string debuginfod_urls;
  // How long one debuginfod download may take before it is given up (0: libdebuginfod's own
  // limits), so that a slow server never holds back what is known without it.
  std::chrono::milliseconds debuginfod_time_limit{0};
  // Called from a download's loop (about once a second, and as data comes): the build-id, bytes
  // done, bytes in all (0 while unknown); `finished` once at the end. Null: nothing is said.
  std::function<void(const std::string& build_id, long done, long total, bool finished)> debuginfod_progress;
};

struct Located {
  std::vector<std::string> files;  // existing files, best first
  std::string searched;            // what was looked at, for a note when nothing fits
};

class DebuginfoLocator {
 public:
  explicit DebuginfoLocator(SearchPaths paths);
  ~DebuginfoLocator();
  DebuginfoLocator(const DebuginfoLocator&) = delete;
  DebuginfoLocator& operator=(const DebuginfoLocator&) = delete;

  // `release` and `build_id` may be empty. Files found by build-id come first.
  Located Vmlinux(const std::string& release, const std::string& build_id);
  Located Module(const std::string& name, const std::string& release, const std::string& build_id);
  // A file by build-id only (the local .build-id tree, then debuginfod); "" when none.
  std::string ByBuildId(const std::string& build_id, std::string* searched);

 private:
  const std::unordered_map<std::string, std::vector<std::string>>& ModuleIndex();

  SearchPaths paths_;
  bool indexed_ = false;
  std::unordered_map<std::string, std::vector<std::string>> module_index_;  // normalised name -> files in module_dirs
  // Per release: normalised name -> files under the debug roots, then the module roots.
  std::unordered_map<std::string, std::unordered_map<std::string, std::vector<std::string>>> release_index_;
  struct Debuginfod;
  std::unique_ptr<Debuginfod> debuginfod_;
};

// "nf_conntrack-ipv4" and "nf_conntrack_ipv4" are one module: the kernel treats '-' and '_' alike.
std::string NormalisedModuleName(std::string_view name);

}  // namespace ktriage::symbols
