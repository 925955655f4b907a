#include "daemon/supervision/location_watches.h"

#include <spdlog/spdlog.h>

#include "daemon/supervision/workspace_reload.h"

namespace codeloc::daemon {
namespace {

std::string shown(const std::filesystem::path& path, const std::filesystem::path& base) {
  if (!base.empty()) {
    std::filesystem::path relative = path.lexically_relative(base);
    if (!relative.empty() && *relative.begin() != "..") return relative.string();
  }
  return path.string();
}

class SupervisorTarget final : public WatchTarget {
 public:
  explicit SupervisorTarget(Supervisor& supervisor) : supervisor_(supervisor) {}
  const workspace::Workspace& workspace() const override { return supervisor_.workspace(); }
  void reload_location(const std::string& name, std::string cause) override {
    if (Location* location = supervisor_.find(name))
      location->reload(Location::ReloadTrigger::kFiles, std::move(cause));
  }
  void reload_workspace(const std::vector<std::string>& files) override {
    daemon::reload_workspace(supervisor_, files);
  }

 private:
  Supervisor& supervisor_;
};

}  // namespace

LocationWatches::LocationWatches(FileWatcher& watcher, Supervisor& supervisor, Options options)
    : watcher_(watcher),
      own_target_(std::make_unique<SupervisorTarget>(supervisor)),
      target_(*own_target_),
      options_(std::move(options)) {
  watch_workspace_files();
}

LocationWatches::LocationWatches(FileWatcher& watcher, WatchTarget& target, Options options)
    : watcher_(watcher), target_(target), options_(std::move(options)) {
  watch_workspace_files();
}

void LocationWatches::watch_workspace_files() {
  WatchSpec spec;
  spec.debounce = options_.debounce;
  spec.poll_interval = options_.poll_interval;
  for (const auto& file : options_.workspace_files) {
    std::filesystem::path path = std::filesystem::absolute(file).lexically_normal();
    workspace_paths_.push_back(path);
    spec.roots.push_back(WatchRoot{path, /*recursive=*/false, ""});
  }
  if (!spec.roots.empty()) {
    workspace_id_ = watcher_.watch("workspace", std::move(spec), [this](const WatchEvent& event) {
      workspace_files_changed(event);
    });
  }
}

LocationWatches::~LocationWatches() {
  if (workspace_id_) watcher_.unwatch(*workspace_id_);
  for (const auto& [name, watched] : watched_)
    watcher_.unwatch(watched.id);
}

void LocationWatches::workspace_applied(const workspace::WorkspaceDiff&) {
  sync();
}

void LocationWatches::sync() {
  const workspace::Workspace& workspace = target_.workspace();
  for (auto it = watched_.begin(); it != watched_.end();) {
    const workspace::LocationSpec* spec = workspace.find(it->first);
    if (spec && *spec == it->second.spec) {
      ++it;
      continue;
    }
    watcher_.unwatch(it->second.id);
    it = watched_.erase(it);
  }
  for (const auto& spec : workspace.locations) {
    if (watched_.count(spec.name)) continue;
    WatchSpec watch =
        watch_spec_for(spec, workspace_paths_, options_.debounce, options_.poll_interval);
    if (watch.roots.empty()) continue;
    std::string name = spec.name;
    FileWatcher::Id id = watcher_.watch(name, std::move(watch), [this, name](const WatchEvent& e) {
      location_files_changed(name, e);
    });
    watched_[name] = Watched{id, spec};
  }
}

void LocationWatches::location_files_changed(const std::string& name, const WatchEvent& event) {
  // The workspace's entry is the location's: Supervisor::apply gives changed entries to their
  // locations.
  const workspace::LocationSpec* spec = target_.workspace().find(name);
  if (!spec) return;
  target_.reload_location(name, describe(event, spec->working_directory));
}

void LocationWatches::workspace_files_changed(const WatchEvent& event) {
  spdlog::info("{}: applying the workspace again", describe(event, {}));
  // Applying calls workspace_applied, which re-syncs the location subscriptions.
  target_.reload_workspace(options_.workspace_files);
}

std::string LocationWatches::describe(const WatchEvent& event, const std::filesystem::path& base) {
  if (event.overflow && event.paths.empty()) {
    return "files changed (the kernel's event queue overflowed; reloading to be safe)";
  }
  // Name the files that are there now: a save's temporary files (sed -i, editors) were created
  // and renamed away within the window. When every named path is gone, they were deletions.
  std::vector<std::filesystem::path> named;
  std::error_code ec;
  for (const auto& path : event.paths) {
    if (std::filesystem::exists(path, ec)) named.push_back(path);
  }
  std::size_t gone = event.paths.size() - named.size();
  std::size_t total = event.total - gone;
  if (named.empty()) {
    named = event.paths;
    total = event.total;
  }
  if (total <= 1 && named.size() == 1) return shown(named.front(), base) + " changed";
  constexpr std::size_t kNamed = 3;
  std::string text = std::to_string(total) + " files changed: ";
  for (std::size_t i = 0; i < named.size() && i < kNamed; ++i)
    text += (i ? ", " : "") + shown(named[i], base);
  if (total > kNamed) text += ", ...";
  return text;
}

}  // namespace codeloc::daemon
