// Which paths the file watcher skips: the location's `ignore:` globs plus defaults (version
// control, caches, virtual environments, editor temporary files), and the workspace files, which
// the daemon watches itself.
//
// Glob semantics, close to .gitignore (fnmatch(3) underneath):
//  - A glob without '/' matches the basename of the path or of any of its parent folders below
//    the base: `data` skips `data/x.py` and `src/data/y.py`; `*.csv` skips `out/a.csv`. Folders
//    at or above the base are not looked at, so a project inside a folder named `venv` still works.
//  - A glob with '/' matches the path relative to the base, or the absolute path when the glob
//    starts with '/', with FNM_PATHNAME: `*` and `?` never match '/', and `**` is not special.
//    It too skips everything below a folder it matches: `build/out` skips `build/out/x.py`.
//  - A trailing '/' makes a glob match folders only: `cache/` skips the folder `cache` and what
//    is in it, but not a file named `cache`.
//  - A folder holding a `pyvenv.cfg` file is a virtual environment and is skipped, whatever its
//    name. That costs one stat each time a folder is asked about; nothing is cached.
// Paths outside the base are checked by their basename only (and by absolute globs).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace codeloc::daemon {

class WatchFilter {
 public:
  // Skips the default globs only.
  WatchFilter();
  // globs: the `ignore:` entries as written (beside the defaults). base: the folder relative globs
  // are taken from, normally the working directory (may be empty: then only basenames and absolute
  // globs match). excluded_files: absolute files never reported.
  WatchFilter(const std::vector<std::string>& globs, std::filesystem::path base,
              std::vector<std::filesystem::path> excluded_files);

  // REQUIRES: absolute is an absolute, lexically normal path. is_directory: what the caller knows
  // of the path (for a deleted path: what it was).
  bool ignored(const std::filesystem::path& absolute, bool is_directory) const;

  static const std::vector<std::string>& default_globs();

 private:
  struct Glob {
    std::string pattern;     // without the trailing '/'
    bool has_slash = false;  // matched against the relative (or absolute) path
    bool absolute = false;   // starts with '/'
    bool folders_only = false;
  };
  static Glob parse(const std::string& glob);
  bool matches(const Glob& glob, const std::filesystem::path& absolute, bool is_directory) const;

  std::vector<Glob> globs_;
  std::filesystem::path base_;
  std::vector<std::filesystem::path> excluded_files_;
};

}  // namespace codeloc::daemon
