#include "daemon/watching/watch_filter.h"

#include <algorithm>

#include <fnmatch.h>
#include <sys/stat.h>

namespace codeloc::daemon {

namespace {

bool is_virtual_environment(const std::filesystem::path& folder) {
  struct stat st;
  return ::stat((folder / "pyvenv.cfg").c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

const std::vector<std::string>& WatchFilter::default_globs() {
  // Version control, Python and tool caches, virtual environments, Dagster's temporary homes, log
  // files (a daemon or job logging into the project must not reload it), and
  // the temporary files editors write while saving (vim: swap files, `4913` probe, `~` backups;
  // emacs: `.#lock` and `#autosave#`; JetBrains: `___jb_tmp___`/`___jb_old___`).
  static const std::vector<std::string> globs = {".git",
                                                 ".hg",
                                                 ".svn",
                                                 "__pycache__",
                                                 "*.pyc",
                                                 "*.pyo",
                                                 "*.pyd",
                                                 ".venv",
                                                 "venv",
                                                 "node_modules",
                                                 ".mypy_cache",
                                                 ".pytest_cache",
                                                 ".ruff_cache",
                                                 ".tox",
                                                 ".ipynb_checkpoints",
                                                 ".tmp_dagster_home_*",
                                                 "*.log",
                                                 "*.swp",
                                                 "*.swo",
                                                 "*.swx",
                                                 "*.swpx",
                                                 "*~",
                                                 ".#*",
                                                 "#*#",
                                                 "4913",
                                                 "*___jb_tmp___",
                                                 "*___jb_old___",
                                                 ".DS_Store"};
  return globs;
}

WatchFilter::WatchFilter() : WatchFilter({}, {}, {}) {}

WatchFilter::WatchFilter(const std::vector<std::string>& globs, std::filesystem::path base,
                         std::vector<std::filesystem::path> excluded_files)
    : base_(base.lexically_normal()), excluded_files_(std::move(excluded_files)) {
  for (const auto& glob : default_globs())
    globs_.push_back(parse(glob));
  for (const auto& glob : globs) {
    Glob parsed = parse(glob);
    if (!parsed.pattern.empty()) globs_.push_back(std::move(parsed));
  }
  for (auto& file : excluded_files_)
    file = file.lexically_normal();
}

WatchFilter::Glob WatchFilter::parse(const std::string& text) {
  Glob glob;
  glob.pattern = text;
  while (!glob.pattern.empty() && glob.pattern.back() == '/') {
    glob.folders_only = true;
    glob.pattern.pop_back();
  }
  while (glob.pattern.starts_with("./"))
    glob.pattern.erase(0, 2);
  glob.absolute = glob.pattern.starts_with('/');
  glob.has_slash = glob.pattern.find('/') != std::string::npos;
  return glob;
}

bool WatchFilter::ignored(const std::filesystem::path& absolute, bool is_directory) const {
  if (std::find(excluded_files_.begin(), excluded_files_.end(), absolute) != excluded_files_.end())
    return true;
  for (const Glob& glob : globs_) {
    if (matches(glob, absolute, is_directory)) return true;
  }
  return is_directory && is_virtual_environment(absolute);
}

// The candidates are the path itself and its parent folders: for relative globs those below the
// base, for absolute globs all of them. Each candidate is a prefix of the path's text ending at a
// '/' (a parent folder) or at its end (the path itself).
bool WatchFilter::matches(const Glob& glob, const std::filesystem::path& absolute,
                          bool is_directory) const {
  const std::string& text = absolute.native();
  std::size_t below_base = std::string::npos;  // where the part relative to the base starts
  if (!base_.empty()) {
    const std::string& base = base_.native();
    std::size_t length = base == "/" ? 0 : base.size();
    if (text.size() > length + 1 && text.compare(0, length, base, 0, length) == 0 &&
        text[length] == '/')
      below_base = length + 1;
  }

  std::size_t first;  // the first character a candidate's '/' may be at
  if (glob.absolute) {
    first = 1;
  } else if (below_base != std::string::npos) {
    first = below_base;
  } else if (glob.has_slash) {
    return false;
  } else {
    first = text.size();  // outside the base: the basename only
  }

  std::string candidate;
  for (std::size_t end = first; end <= text.size(); ++end) {
    if (end < text.size() && text[end] != '/') continue;
    bool folder = end < text.size() || is_directory;
    if (glob.folders_only && !folder) continue;
    if (glob.absolute) {
      candidate.assign(text, 0, end);
    } else if (glob.has_slash) {
      candidate.assign(text, below_base, end - below_base);
    } else {
      std::size_t start = text.rfind('/', end - 1) + 1;
      candidate.assign(text, start, end - start);
    }
    int flags = glob.has_slash ? FNM_PATHNAME : 0;
    if (::fnmatch(glob.pattern.c_str(), candidate.c_str(), flags) == 0) return true;
  }
  return false;
}

}  // namespace codeloc::daemon
