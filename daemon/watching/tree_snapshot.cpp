#include "daemon/watching/tree_snapshot.h"

#include <algorithm>

#include <sys/stat.h>

#include "daemon/watching/tree_walk.h"

namespace codeloc::daemon {

TreeSnapshot TreeSnapshot::take(const WatchSpec& spec) {
  TreeSnapshot snapshot;
  for (const WatchRoot& root : spec.roots) {
    if (!root.recursive) {
      snapshot.add(root.path);
      continue;
    }
    walk_tree(
        root.path, spec.filter,
        [&](const std::filesystem::path& path, bool) {
          if (root.matches(path)) snapshot.add(path);
          return true;
        },
        /*descend=*/root.watches_below());
  }
  return snapshot;
}

// Follows symlinks, so that a symlinked file counts by its target; a dangling one by itself.
void TreeSnapshot::add(const std::filesystem::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 && ::lstat(path.c_str(), &st) != 0) return;
  Stamp stamp;
  stamp.folder = S_ISDIR(st.st_mode);
  stamp.inode = st.st_ino;
  if (!stamp.folder) {
    // A folder's mtime moves with every entry added or removed, which is reported by itself.
    stamp.mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    stamp.size = static_cast<std::uint64_t>(st.st_size);
  }
  entries_[path.native()] = stamp;
}

std::vector<std::filesystem::path> TreeSnapshot::changes_to(const TreeSnapshot& newer) const {
  std::vector<std::filesystem::path> changed;
  for (const auto& [path, stamp] : entries_) {
    auto it = newer.entries_.find(path);
    if (it == newer.entries_.end() || !(it->second == stamp)) changed.emplace_back(path);
  }
  for (const auto& [path, stamp] : newer.entries_) {
    if (!entries_.contains(path)) changed.emplace_back(path);
  }
  std::sort(changed.begin(), changed.end());
  return changed;
}

}  // namespace codeloc::daemon
