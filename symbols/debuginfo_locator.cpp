// DebuginfoLocator: file-system searches and libdebuginfod queries for debuginfo files.
#include "symbols/debuginfo_locator.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace ktriage::symbols {
namespace fs = std::filesystem;

namespace {

bool IsFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// "veth.ko.xz" -> "veth"; "" for files that are not modules.
std::string ModuleNameOfFile(const std::string& filename) {
  for (std::string_view suffix : {".ko", ".ko.xz", ".ko.zst", ".ko.gz", ".ko.debug"}) {
    if (filename.size() > suffix.size() &&
        filename.compare(filename.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return NormalisedModuleName(std::string_view(filename).substr(0, filename.size() - suffix.size()));
    }
  }
  return "";
}

// Modules under `root` by name; the walk skips what it cannot read.
void IndexModules(const std::string& root, std::unordered_map<std::string, std::vector<std::string>>& index) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string name = ModuleNameOfFile(it->path().filename().string());
    if (!name.empty()) index[name].push_back(it->path().string());
  }
}

bool ValidBuildId(const std::string& id) {
  return id.size() >= 2 && id.size() % 2 == 0 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void AddIfFile(Located& out, const std::string& path) {
  if (out.searched.size() < 2000) out.searched += (out.searched.empty() ? "" : ", ") + path;
  if (IsFile(path) && std::find(out.files.begin(), out.files.end(), path) == out.files.end()) out.files.push_back(path);
}

}  // namespace

std::string NormalisedModuleName(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

// libdebuginfod is opened only when debuginfod is asked for, as libdw itself does: linking it
// would load libcurl, GnuTLS, Kerberos and LDAP into every run (milliseconds of start-up).
struct DebuginfoLocator::Debuginfod {
  void* library = nullptr;
  decltype(&debuginfod_begin) begin = nullptr;
  decltype(&debuginfod_find_debuginfo) find_debuginfo = nullptr;
  decltype(&debuginfod_end) end = nullptr;
  decltype(&debuginfod_set_progressfn) set_progressfn = nullptr;
  decltype(&debuginfod_set_user_data) set_user_data = nullptr;
  debuginfod_client* client = nullptr;
  std::unordered_map<std::string, std::string> found;  // build-id -> cached file ("" when none)

  // The download in progress, for the progress function.
  const SearchPaths* paths = nullptr;
  std::string build_id;
  std::chrono::steady_clock::time_point started;
  bool gave_up = false;

  // Non-zero stops the download (libdebuginfod's contract). The client's user data is this object;
  // the library was opened RTLD_LOCAL, so its accessor is looked up through the loaded handle.
  static int Progress(debuginfod_client* c, long done, long total) {
    void* handle = ::dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
    if (handle == nullptr) return 0;
    auto get = reinterpret_cast<decltype(&debuginfod_get_user_data)>(::dlsym(handle, "debuginfod_get_user_data"));
    ::dlclose(handle);  // only drops the reference RTLD_NOLOAD added
    auto* self = get != nullptr ? static_cast<Debuginfod*>(get(c)) : nullptr;
    if (self == nullptr || self->paths == nullptr) return 0;
    if (self->paths->debuginfod_progress) self->paths->debuginfod_progress(self->build_id, done, total, false);
    const auto limit = self->paths->debuginfod_time_limit;
    if (limit.count() > 0 && std::chrono::steady_clock::now() - self->started > limit) {
      self->gave_up = true;
      return 1;
    }
    return 0;
  }

  Debuginfod() {
    library = ::dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!library) return;
    begin = reinterpret_cast<decltype(begin)>(::dlsym(library, "debuginfod_begin"));
    find_debuginfo = reinterpret_cast<decltype(find_debuginfo)>(::dlsym(library, "debuginfod_find_debuginfo"));
    end = reinterpret_cast<decltype(end)>(::dlsym(library, "debuginfod_end"));
    set_progressfn = reinterpret_cast<decltype(set_progressfn)>(::dlsym(library, "debuginfod_set_progressfn"));
    set_user_data = reinterpret_cast<decltype(set_user_data)>(::dlsym(library, "debuginfod_set_user_data"));
    if (begin && find_debuginfo && end) client = begin();
    if (client && set_progressfn && set_user_data) {
      set_user_data(client, this);
      set_progressfn(client, &Progress);
    }
  }
  // The library stays loaded: libcurl's global state (which libdebuginfod initialises and never
  // cleans up) would be left pointing into unmapped code.
  ~Debuginfod() {
    if (client) end(client);
  }
};

DebuginfoLocator::DebuginfoLocator(SearchPaths paths) : paths_(std::move(paths)) {}
DebuginfoLocator::~DebuginfoLocator() = default;

const std::unordered_map<std::string, std::vector<std::string>>& DebuginfoLocator::ModuleIndex() {
  if (!indexed_) {
    indexed_ = true;
    for (const std::string& dir : paths_.module_dirs) IndexModules(dir, module_index_);
    for (auto& [name, files] : module_index_) std::sort(files.begin(), files.end());
  }
  return module_index_;
}

std::string DebuginfoLocator::ByBuildId(const std::string& build_id, std::string* searched) {
  if (!ValidBuildId(build_id)) return "";
  for (const std::string& root : paths_.debug_roots) {
    std::string path = root + "/.build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) + ".debug";
    if (searched) *searched += (searched->empty() ? "" : ", ") + path;
    if (IsFile(path)) return path;
  }
  if (paths_.debuginfod_urls.empty()) return "";
  if (searched) *searched += std::string(searched->empty() ? "" : ", ") + "debuginfod (" + paths_.debuginfod_urls + ")";
  if (!debuginfod_) debuginfod_ = std::make_unique<Debuginfod>();
  if (!debuginfod_->client) {
    if (searched) *searched += " (libdebuginfod.so.1 could not be loaded)";
    return "";
  }
  if (auto it = debuginfod_->found.find(build_id); it != debuginfod_->found.end()) return it->second;
  char* path = nullptr;
  debuginfod_->paths = &paths_;
  debuginfod_->build_id = build_id;
  debuginfod_->started = std::chrono::steady_clock::now();
  debuginfod_->gave_up = false;
  // A build-id length of 0 tells libdebuginfod that the id is a hex string.
  const int fd = debuginfod_->find_debuginfo(debuginfod_->client, reinterpret_cast<const unsigned char*>(build_id.c_str()),
                                           0, &path);
  if (paths_.debuginfod_progress) paths_.debuginfod_progress(build_id, 0, 0, true);
  if (debuginfod_->gave_up && searched) {
    *searched += " (gave up after " + std::to_string(paths_.debuginfod_time_limit.count() / 1000) + " s)";
  }
  std::string result;
  if (fd >= 0) {
    ::close(fd);
    if (path) result = path;
  }
  free(path);
  debuginfod_->found.emplace(build_id, result);
  return result;
}

Located DebuginfoLocator::Vmlinux(const std::string& release, const std::string& build_id) {
  Located out;
  if (!build_id.empty()) {
    std::string found = ByBuildId(build_id, &out.searched);
    if (!found.empty()) out.files.push_back(found);
  }
  if (!release.empty()) {
    for (const std::string& root : paths_.debug_roots) AddIfFile(out, root + "/boot/vmlinux-" + release);
    for (const std::string& root : paths_.debug_roots) AddIfFile(out, root + "/lib/modules/" + release + "/vmlinux");
    AddIfFile(out, "/boot/vmlinux-" + release);
    for (const std::string& root : paths_.module_roots) AddIfFile(out, root + "/" + release + "/build/vmlinux");
  }
  return out;
}

Located DebuginfoLocator::Module(const std::string& name, const std::string& release, const std::string& build_id) {
  Located out;
  const std::string wanted = NormalisedModuleName(name);
  if (!build_id.empty()) {
    std::string found = ByBuildId(build_id, &out.searched);
    if (!found.empty()) out.files.push_back(found);
  }
  if (!paths_.module_dirs.empty()) {
    for (const std::string& dir : paths_.module_dirs) out.searched += (out.searched.empty() ? "" : ", ") + dir;
    if (auto it = ModuleIndex().find(wanted); it != ModuleIndex().end()) {
      for (const std::string& f : it->second) out.files.push_back(f);
    }
  }
  if (!release.empty()) {
    // Debian's -dbg packages mirror /lib/modules/R under the debug root, with full DWARF: those
    // first, then the installed (stripped) modules, whose build-id may lead to their debuginfo.
    std::vector<std::string> dirs;
    for (const std::string& root : paths_.debug_roots) dirs.push_back(root + "/lib/modules/" + release);
    for (const std::string& root : paths_.module_roots) dirs.push_back(root + "/" + release);
    for (const std::string& dir : dirs) out.searched += (out.searched.empty() ? "" : ", ") + dir;
    auto [slot, fresh] = release_index_.try_emplace(release);
    if (fresh) {
      for (const std::string& dir : dirs) {
        std::unordered_map<std::string, std::vector<std::string>> one;
        IndexModules(dir, one);
        for (auto& [module, files] : one) {
          std::sort(files.begin(), files.end());
          auto& all = slot->second[module];
          all.insert(all.end(), files.begin(), files.end());
        }
      }
    }
    const auto& index = slot->second;
    if (auto it = index.find(wanted); it != index.end()) {
      for (const std::string& f : it->second) {
        if (std::find(out.files.begin(), out.files.end(), f) == out.files.end()) out.files.push_back(f);
      }
    }
  }
  return out;
}

}  // namespace ktriage::symbols
