// The Supervisor: one Location per workspace entry, in workspace order. It applies workspaces
// (the first one, then diffs on reload), reaps every child (the daemon is a child subreaper), and
// stops everything on shutdown. Signals, sockets and the loop belong to the layer above
// (daemon/daemon.h); this class is driven through plain calls.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/settings.h"
#include "daemon/processes/helper_processes.h"
#include "daemon/processes/process_signals.h"
#include "daemon/supervision/location.h"
#include "workspace/location_spec.h"
#include "workspace/workspace_diff.h"

namespace codeloc::daemon {

// Told about what happens to locations (control-socket events, sd_notify, `dev` output).
class SupervisorListener {
 public:
  virtual ~SupervisorListener() = default;
  virtual void state_changed(const Location&, LocationState /*from*/, LocationState /*to*/) {}
  virtual void definitions_changed(const Location&, const std::string& /*old_version*/) {}
  virtual void output(const Location&, const LogLine&) {}
  virtual void workspace_applied(const workspace::WorkspaceDiff&) {}
  virtual void reloaded(const Location&, const ReloadReport&) {}
};

// REQUIRES: io, clock, launcher, signals and settings outlive the supervisor. `signals` is what
// the supervisor reaps with and the locations signal their process groups and scan /proc with
// (tests pass a fake).
class Supervisor final : private LocationObserver {
 public:
  Supervisor(boost::asio::io_context& io, const Clock& clock, ProcessLauncher& launcher,
             const config::Settings& settings, LocationOptions options,
             ProcessSignals& signals = ProcessSignals::system());
  ~Supervisor() override;

  // Starts every location of the first workspace; afterwards applies the diff: starts added
  // locations, stops removed ones, restarts changed ones, leaves unchanged ones alone.
  // Returns what it did.
  workspace::WorkspaceDiff apply(workspace::Workspace workspace);
  // Stops every location in parallel; `done` runs once all are STOPPED and no process is left.
  void stop_all(std::function<void()> done);
  // SIGKILL to every process of every location (a second Ctrl-C).
  void kill_all_now();
  // Reaps every exited child (ProcessSignals::reap_child; call on SIGCHLD) and lets locations
  // notice their processes are gone.
  void reap();

  Location* find(const std::string& name);
  std::vector<const Location*> locations() const;
  const workspace::Workspace& workspace() const { return workspace_; }
  void add_listener(SupervisorListener* listener) { listeners_.push_back(listener); }
  // Processes started beside the locations (fork servers, Dagster's UI): reaped, stopped before
  // or after the locations as `when` says (sets of one kind in the order added), killed with
  // them. REQUIRES: each outlives the supervisor.
  void add_helpers(HelperProcesses* helpers, HelperStop when) {
    helpers_.push_back({helpers, when});
  }
  std::vector<const HelperProcesses*> helpers() const;

  SupervisionPolicy policy_for(const workspace::LocationSpec& spec) const;

 private:
  void location_state_changed(const Location& location, LocationState from,
                              LocationState to) override;
  void location_output(const Location& location, const LogLine& line) override;
  void location_definitions(const Location& location, const std::string& old_version) override;
  void location_reloaded(const Location& location, const ReloadReport& report) override;

  std::unique_ptr<Location> make_location(workspace::LocationSpec spec);
  void settle();  // drops stopped removed locations, finishes a shutdown, arms the recheck
  // Stops the helper sets of kind `when` from index `from` on, one after the other, then `then`.
  void stop_helpers(HelperStop when, std::size_t from, std::function<void()> then);

  boost::asio::io_context& io_;
  const Clock& clock_;
  ProcessLauncher& launcher_;
  ProcessSignals& signals_;
  const config::Settings& settings_;
  LocationOptions options_;
  workspace::Workspace workspace_;
  bool applied_ = false;
  std::vector<std::unique_ptr<Location>> locations_;
  std::vector<std::unique_ptr<Location>> removing_;  // left the workspace, still stopping
  std::vector<SupervisorListener*> listeners_;
  struct HelperSet {
    HelperProcesses* helpers;
    HelperStop when;
  };
  std::vector<HelperSet> helpers_;
  std::function<void()> on_all_stopped_;
  bool stopping_all_ = false;
  bool stopping_locations_ = false;  // stop_all has stopped the kBeforeLocations helpers
  // While a location waits for processes that are not the daemon's children to go, reap() runs
  // again on this timer too (their exits may not raise SIGCHLD here).
  boost::asio::steady_timer recheck_;
  bool recheck_armed_ = false;
};

}  // namespace codeloc::daemon
