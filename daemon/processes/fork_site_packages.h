// The watch on a fork server's site-packages folders (docs/warm.md): a package installed,
// upgraded or removed there makes the warm interpreter stale, so the pool recycles its fork
// server. Installers add and remove entries of these folders (`*.dist-info` folders, modules,
// `.pth` files), so only the entries count, not what is inside the packages' folders, nor the
// bytecode caches (`__pycache__`) imports write.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "daemon/watching/file_watcher.h"

namespace codeloc::daemon {

// What a FileWatcher subscription watches for these folders: each folder recursively, with every
// path two levels below it ignored, so that the watches end at its entries (one inotify watch for
// the folder and one for each of its sub-folders), `__pycache__` and the other default globs
// ignored too. The debounce is `quiet`: one change event once the folders have been quiet that
// long (a `pip install` of many packages is one event, after it ends).
WatchSpec site_packages_watch_spec(const std::vector<std::filesystem::path>& folders,
                                   std::chrono::milliseconds quiet);

// REQUIRES: watcher outlives the watch. on_changed runs from the event loop (the watcher's
// callback) and may destroy the watch.
class SitePackagesWatch {
 public:
  // label names the watch in the watcher's warnings (the fork server).
  SitePackagesWatch(FileWatcher& watcher, std::string label,
                    std::vector<std::filesystem::path> folders, std::chrono::milliseconds quiet,
                    std::function<void()> on_changed);
  // No on_changed runs afterwards.
  ~SitePackagesWatch();
  SitePackagesWatch(const SitePackagesWatch&) = delete;
  SitePackagesWatch& operator=(const SitePackagesWatch&) = delete;

  // When inotify cannot watch the folders (the watcher polls them instead, every poll interval):
  // the first folder whose modification time differs from when the watch began, for a launch to
  // check before it forks. Empty while inotify watches, or when nothing changed.
  std::string changed_folder() const;
  bool polling() const;
  const std::vector<std::filesystem::path>& folders() const { return folders_; }

 private:
  FileWatcher& watcher_;
  std::vector<std::filesystem::path> folders_;
  std::vector<std::int64_t> modified_;  // folders_' modification times (ns), when polling
  FileWatcher::Id id_ = 0;
};

}  // namespace codeloc::daemon
