// What the file watcher watches for one location, derived from its workspace entry.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "config/defaults.h"
#include "daemon/watching/watch_filter.h"
#include "workspace/location_spec.h"

namespace codeloc::daemon {

// One place to watch. Three shapes:
//  - a folder, recursive, pattern empty: every change below it (that the filter lets through);
//  - a folder, recursive, with a pattern: the changes below it whose absolute path matches the
//    fnmatch(3) pattern, without FNM_PATHNAME (so `*` crosses '/': `/ws/src/*.py` matches
//    `/ws/src/a/b.py`);
//  - a file (recursive false): its parent folder is watched alone and only this name counts,
//    so an editor saving by renaming a temporary file over it is still seen;
//  - a folder, recursive, entries_only: the folder alone (one inotify watch), and the changes of
//    its own entries, not of what is below them (a site-packages folder: a package installed or
//    upgraded adds or renames its `.dist-info` there).
struct WatchRoot {
  std::filesystem::path path;
  bool recursive = true;
  std::string pattern;
  bool entries_only = false;

  // The folder a watch goes on: path, or its parent for a file root.
  std::filesystem::path folder() const { return recursive ? path : path.parent_path(); }
  // True when the folders below path are watched too.
  bool watches_below() const { return recursive && !entries_only; }
  // True when a change of `changed` (absolute, lexically normal) belongs to this root.
  bool matches(const std::filesystem::path& changed) const;
  // True when every change this root reports is one `other` reports too.
  bool covered_by(const WatchRoot& other) const;

  bool operator==(const WatchRoot&) const = default;
};

struct WatchSpec {
  std::vector<WatchRoot> roots;
  WatchFilter filter;
  std::chrono::milliseconds debounce = defaults::kWatchDebounce;
  std::chrono::milliseconds poll_interval = defaults::kWatchPollInterval;
};

// The roots of one location: its working directory (recursive) for python kinds and command; the
// target file of python_file; each `watch:` entry (a folder: recursive; a file: a file root; a
// glob, with any of `*?[`: its longest glob-free parent folder, recursive, with the glob as
// pattern; a path that does not exist: a recursive folder root, which the watcher reports
// missing). Roots covered by another root are dropped. grpc_server: no roots. The filter has the
// entry's `ignore:` globs, relative to the working directory, and excludes workspace_files.
// Looks at the file system (stat) to tell `watch:` folders from files.
WatchSpec watch_spec_for(const workspace::LocationSpec& spec,
                         const std::vector<std::filesystem::path>& workspace_files,
                         std::chrono::milliseconds debounce,
                         std::chrono::milliseconds poll_interval);

}  // namespace codeloc::daemon
