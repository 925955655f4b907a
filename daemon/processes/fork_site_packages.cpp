#include "daemon/processes/fork_site_packages.h"

#include <sys/stat.h>

namespace codeloc::daemon {
namespace {

// The folder's modification time in ns, or 0 when it cannot be read.
std::int64_t modified_ns(const std::filesystem::path& folder) {
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0) return 0;
  return std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// An absolute glob matching the folder's text literally (fnmatch escapes with a backslash).
std::string literal_glob(const std::filesystem::path& folder) {
  std::string glob;
  const std::string text = folder.lexically_normal().native();
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') glob += '\\';
    glob += c;
  }
  while (glob.size() > 1 && glob.back() == '/')
    glob.pop_back();
  return glob;
}

}  // namespace

WatchSpec site_packages_watch_spec(const std::vector<std::filesystem::path>& folders,
                                   std::chrono::milliseconds quiet) {
  WatchSpec spec;
  std::vector<std::string> globs;
  for (const auto& folder : folders) {
    // Each folder by itself (one inotify watch, not one per installed package): an install,
    // upgrade or removal adds, renames or removes the package's `.dist-info` there.
    spec.roots.push_back({folder.lexically_normal(), true, {}, /*entries_only=*/true});
    // What is below the folder's entries never counts (with '/' the glob is matched with
    // FNM_PATHNAME against the path and each of its parents); bytecode caches neither.
    globs.push_back(literal_glob(folder) + "/*/*");
  }
  spec.filter = WatchFilter(globs, {}, {});
  spec.debounce = quiet;
  return spec;
}

SitePackagesWatch::SitePackagesWatch(FileWatcher& watcher, std::string label,
                                     std::vector<std::filesystem::path> folders,
                                     std::chrono::milliseconds quiet,
                                     std::function<void()> on_changed)
    : watcher_(watcher), folders_(std::move(folders)) {
  // Before the watch: a change the poll would report later is seen by changed_folder() too.
  for (const auto& folder : folders_)
    modified_.push_back(modified_ns(folder));
  id_ = watcher_.watch(std::move(label), site_packages_watch_spec(folders_, quiet),
                       [on_changed = std::move(on_changed)](const WatchEvent&) { on_changed(); });
}

SitePackagesWatch::~SitePackagesWatch() {
  watcher_.unwatch(id_);
}

bool SitePackagesWatch::polling() const {
  return watcher_.polling(id_);
}

std::string SitePackagesWatch::changed_folder() const {
  if (!polling()) return {};
  for (std::size_t i = 0; i < folders_.size(); ++i) {
    if (modified_ns(folders_[i]) != modified_[i]) return folders_[i].string();
  }
  return {};
}

}  // namespace codeloc::daemon
