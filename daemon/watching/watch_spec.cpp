#include "daemon/watching/watch_spec.h"

#include <algorithm>
#include <system_error>

#include <fnmatch.h>

#include "daemon/watching/tree_walk.h"

namespace codeloc::daemon {

namespace {

using workspace::LocationKind;

WatchRoot root_for_entry(const std::string& entry) {
  WatchRoot root;
  std::size_t glob = entry.find_first_of("*?[");
  if (glob != std::string::npos) {
    std::size_t slash = entry.rfind('/', glob);
    root.path = std::filesystem::path(entry.substr(0, slash == std::string::npos ? 0 : slash))
                    .lexically_normal();
    if (root.path.empty()) root.path = "/";
    root.pattern = entry;
    return root;
  }
  root.path = std::filesystem::path(entry).lexically_normal();
  std::error_code ec;
  auto status = std::filesystem::status(root.path, ec);
  // A path that does not exist (yet) stays a folder root; the watcher reports it missing.
  root.recursive = ec || !std::filesystem::exists(status) || std::filesystem::is_directory(status);
  return root;
}

}  // namespace

bool WatchRoot::matches(const std::filesystem::path& changed) const {
  if (!recursive) return changed == path;
  if (entries_only) return changed.parent_path() == path;
  if (!is_within(changed, path)) return false;
  return pattern.empty() || ::fnmatch(pattern.c_str(), changed.c_str(), 0) == 0;
}

bool WatchRoot::covered_by(const WatchRoot& other) const {
  if (*this == other) return true;
  if (!other.watches_below() || !other.pattern.empty()) return false;
  return is_within(path, other.path);
}

WatchSpec watch_spec_for(const workspace::LocationSpec& spec,
                         const std::vector<std::filesystem::path>& workspace_files,
                         std::chrono::milliseconds debounce,
                         std::chrono::milliseconds poll_interval) {
  // Nothing to watch: the attach process reloads the location when the server's id changes.
  if (spec.kind == LocationKind::kGrpcServer) return {{}, WatchFilter(), debounce, poll_interval};
  std::vector<WatchRoot> candidates;
  bool has_working_directory =
      workspace::is_python_kind(spec.kind) || spec.kind == LocationKind::kCommand;
  if (has_working_directory && !spec.working_directory.empty())
    candidates.push_back({spec.working_directory.lexically_normal(), true, {}});
  if (spec.kind == LocationKind::kPythonFile && !spec.target.empty())
    candidates.push_back({std::filesystem::path(spec.target).lexically_normal(), false, {}});
  for (const auto& entry : spec.watch)
    candidates.push_back(root_for_entry(entry));

  WatchSpec watch;
  for (auto& root : candidates) {
    if (std::any_of(watch.roots.begin(), watch.roots.end(),
                    [&](const WatchRoot& kept) { return root.covered_by(kept); }))
      continue;
    std::erase_if(watch.roots, [&](const WatchRoot& kept) { return kept.covered_by(root); });
    watch.roots.push_back(std::move(root));
  }
  std::filesystem::path base = has_working_directory ? spec.working_directory : "";
  watch.filter = WatchFilter(spec.ignore, base, workspace_files);
  watch.debounce = debounce;
  watch.poll_interval = poll_interval;
  return watch;
}

}  // namespace codeloc::daemon
