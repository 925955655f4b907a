#include "daemon/watching/tree_walk.h"

#include <system_error>
#include <vector>

namespace codeloc::daemon {

bool is_within(const std::filesystem::path& path, const std::filesystem::path& folder) {
  const std::string& p = path.native();
  const std::string& f = folder.native();
  if (f == "/") return !p.empty() && p[0] == '/';
  return p.starts_with(f) && (p.size() == f.size() || p[f.size()] == '/');
}

bool walk_tree(const std::filesystem::path& folder, const WatchFilter& filter,
               const std::function<bool(const std::filesystem::path&, bool is_directory)>& visit,
               bool descend) {
  std::vector<std::filesystem::path> pending{folder};
  while (!pending.empty()) {
    std::filesystem::path current = std::move(pending.back());
    pending.pop_back();
    std::error_code ec;
    std::filesystem::directory_iterator it(current, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      // The type comes from readdir (d_type) where the file system gives it: no stat per entry.
      bool is_directory = it->symlink_status(ec).type() == std::filesystem::file_type::directory;
      if (ec) {
        ec.clear();  // gone since the listing
        continue;
      }
      const std::filesystem::path& path = it->path();
      if (filter.ignored(path, is_directory)) continue;
      if (!visit(path, is_directory)) return false;
      if (is_directory && descend) pending.push_back(path);
    }
  }
  return true;
}

}  // namespace codeloc::daemon
