// Walking the folders the file watcher covers, and the path test it relies on.
#pragma once

#include <filesystem>
#include <functional>

#include "daemon/watching/watch_filter.h"

namespace codeloc::daemon {

// True when path is folder or below it. REQUIRES: both absolute and lexically normal.
bool is_within(const std::filesystem::path& path, const std::filesystem::path& folder);

// Calls visit(path, is_directory) for every entry below folder that the filter does not skip, a
// folder before what it holds. Symlinks are visited but never followed into; folders that cannot
// be listed (gone, no permission) are passed over. visit returns false to stop: walk_tree then
// returns false. With descend false, only folder's own entries are visited.
bool walk_tree(const std::filesystem::path& folder, const WatchFilter& filter,
               const std::function<bool(const std::filesystem::path&, bool is_directory)>& visit,
               bool descend = true);

}  // namespace codeloc::daemon
