// What the roots of a WatchSpec hold, for watching by polling when inotify cannot be used: each
// path with its modification time, size and inode. Two snapshots compared give the changes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/watching/watch_spec.h"

namespace codeloc::daemon {

class TreeSnapshot {
 public:
  // Walks every root (what the filter skips is left out) and stats what each root matches.
  // Costs a readdir per folder and a stat per file: polling is a fallback.
  static TreeSnapshot take(const WatchSpec& spec);

  // The paths added, removed or changed (mtime in ns, size, inode; folders: inode only) from
  // this snapshot to `newer`, sorted.
  std::vector<std::filesystem::path> changes_to(const TreeSnapshot& newer) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Stamp {
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
    std::uint64_t inode = 0;
    bool folder = false;
    bool operator==(const Stamp&) const = default;
  };
  void add(const std::filesystem::path& path);

  std::unordered_map<std::string, Stamp> entries_;
};

}  // namespace codeloc::daemon
