// Hot reload's wiring: one FileWatcher subscription per location of the supervisor's workspace,
// kept in step as workspaces are applied, and one for the workspace files themselves. A change in
// a location's files reloads exactly that location; a change of a workspace file applies the new
// workspace as SIGHUP does (only added, removed and changed locations are touched; a broken file
// changes nothing and its errors are logged).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/defaults.h"
#include "daemon/supervision/supervisor.h"
#include "daemon/watching/file_watcher.h"

namespace codeloc::daemon {

// What a change leads to: the Supervisor in the daemon (LocationWatches' constructor taking one),
// a fake in tests.
class WatchTarget {
 public:
  virtual ~WatchTarget() = default;
  // The applied workspace, whose locations are watched.
  virtual const workspace::Workspace& workspace() const = 0;
  // Reloads the location (Location::ReloadTrigger::kFiles) for `cause`; nothing when no location
  // has that name.
  virtual void reload_location(const std::string& name, std::string cause) = 0;
  // Applies the workspace files again, as SIGHUP does (reload_workspace).
  virtual void reload_workspace(const std::vector<std::string>& files) = 0;
};

class LocationWatches final : public SupervisorListener {
 public:
  struct Options {
    std::vector<std::string> workspace_files;  // -w, as given
    std::chrono::milliseconds debounce = defaults::kWatchDebounce;
    std::chrono::milliseconds poll_interval = defaults::kWatchPollInterval;
  };

  // REQUIRES: watcher and supervisor outlive this object; register it with
  // supervisor.add_listener before the first apply.
  LocationWatches(FileWatcher& watcher, Supervisor& supervisor, Options options);
  // The same over any target. REQUIRES: watcher and target outlive this object; call
  // workspace_applied whenever target's workspace changes.
  LocationWatches(FileWatcher& watcher, WatchTarget& target, Options options);
  ~LocationWatches() override;
  LocationWatches(const LocationWatches&) = delete;
  LocationWatches& operator=(const LocationWatches&) = delete;

  void workspace_applied(const workspace::WorkspaceDiff& diff) override;

  // What a change event says, for the reload's cause: "definitions.py changed",
  // "3 files changed: a.py, b.py, c.py". Paths under `base` are shown relative to it.
  static std::string describe(const WatchEvent& event, const std::filesystem::path& base);

 private:
  struct Watched {
    FileWatcher::Id id = 0;
    workspace::LocationSpec spec;
  };

  void watch_workspace_files();
  void sync();
  void location_files_changed(const std::string& name, const WatchEvent& event);
  void workspace_files_changed(const WatchEvent& event);

  FileWatcher& watcher_;
  std::unique_ptr<WatchTarget> own_target_;  // over the Supervisor, when given one
  WatchTarget& target_;
  Options options_;
  std::vector<std::filesystem::path> workspace_paths_;  // absolute, normal
  std::optional<FileWatcher::Id> workspace_id_;
  std::map<std::string, Watched> watched_;
};

}  // namespace codeloc::daemon
