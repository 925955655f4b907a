// Dagster's own UI on the daemon's locations (`codeloc dev --ui`, the `ui` setting): the daemon
// runs `dagster-webserver` and `dagster-daemon` from one Python environment as helper processes,
// pointed at a workspace.yaml it writes itself (daemon/dagster/dagster_workspace.h) under
// <state_dir>/dagster, whose entries are the locations' stable Dagster gRPC sockets.
//
//  - They start once every location has settled for the first time (LOADED, LOAD_ERROR, BACKOFF or
//    STOPPED), or after settle_timeout, so that the webserver's first load finds the sockets.
//  - A helper that exits is started again after a backoff (1 s doubling to 60 s).
//  - Their output goes to the daemon's log line by line, labelled with the helper's name.
//  - The URL is announced (on_ready) once the webserver answers GET /server_info; dagster-daemon
//    starts then, so that the two never create a fresh instance's storage at once.
//  - The workspace file is rewritten (atomically) when locations come or go, and the webserver is
//    asked to reload it once the added ones have settled (dagster-daemon re-reads it by itself).
//  - At shutdown they stop before the locations (HelperStop::kBeforeLocations): SIGTERM to each
//    process group, SIGKILL after stop_timeout, done once no member of any group is left.
// A missing dagster-webserver is one clear error; the locations are not affected.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "config/defaults.h"
#include "config/settings.h"
#include "daemon/processes/helper_processes.h"
#include "daemon/processes/process_launcher.h"
#include "daemon/processes/process_signals.h"
#include "daemon/supervision/supervisor.h"

namespace codeloc::daemon {

struct DagsterUiOptions {
  std::filesystem::path state_dir;
  std::string ui_python;                           // empty: the first Python location's interpreter
  std::string default_python = defaults::kPython;  // the `python` setting
  std::string host = defaults::kUiHost;
  std::uint16_t port = defaults::kUiPort;
  std::filesystem::path dagster_home;  // empty: $DAGSTER_HOME, else <state_dir>/dagster/home
  std::chrono::milliseconds stop_timeout = defaults::kStopTimeout;
  std::chrono::milliseconds settle_timeout = defaults::dagster_ui::kSettleTimeout;
  std::chrono::milliseconds backoff_initial = defaults::dagster_ui::kBackoffInitial;
  std::chrono::milliseconds backoff_max = defaults::dagster_ui::kBackoffMax;
  // A run this long resets the backoff.
  std::chrono::milliseconds backoff_reset_after = defaults::dagster_ui::kBackoffResetAfter;
  std::chrono::milliseconds probe_interval = defaults::dagster_ui::kProbeInterval;
  std::size_t log_line_max_bytes = defaults::kLogLineMaxBytes;
  // Told the URL each time the webserver starts answering; unset: it is logged at info.
  std::function<void(const std::string& url)> on_ready;
};

DagsterUiOptions dagster_ui_options(const config::Settings& settings);

// The interpreter whose folder holds the helpers' executables: ui_python if set, else the first
// Python location's (its executable_path, else default_python); a name without '/' is looked up
// on `path_env`. Not resolved through symbolic links (a virtual environment's bin/python is one).
// Empty, with *error saying what was looked for, when it is not found.
std::string ui_interpreter(const std::string& ui_python, const workspace::Workspace& workspace,
                           const std::string& default_python, const std::string& path_env,
                           std::string* error);

// DAGSTER_HOME for the helpers: the setting, else `env_home` ($DAGSTER_HOME; empty when unset),
// else <state_dir>/dagster/home.
std::filesystem::path dagster_home_for(const std::filesystem::path& setting,
                                       const std::string& env_home,
                                       const std::filesystem::path& state_dir);

// The helpers' environment: `daemon_env` ("NAME=value") minus the service manager's variables
// and any DAGSTER_HOME, plus DAGSTER_HOME=home.
std::vector<std::string> helper_environment(const std::vector<std::string>& daemon_env,
                                            const std::filesystem::path& home);

// REQUIRES: io, launcher, supervisor and signals outlive it; register it with
// Supervisor::add_helpers (kBeforeLocations) and add_listener before the first workspace is
// applied.
class DagsterUi final : public HelperProcesses, public SupervisorListener {
 public:
  DagsterUi(boost::asio::io_context& io, ProcessLauncher& launcher, const Supervisor& supervisor,
            DagsterUiOptions options, ProcessSignals& signals = ProcessSignals::system());
  // SIGKILL to whatever is left (a clean shutdown stops them first).
  ~DagsterUi() override;
  DagsterUi(const DagsterUi&) = delete;
  DagsterUi& operator=(const DagsterUi&) = delete;

  const std::filesystem::path& workspace_file() const { return workspace_file_; }
  std::string url() const;

  // SupervisorListener
  void state_changed(const Location&, LocationState from, LocationState to) override;
  void workspace_applied(const workspace::WorkspaceDiff& diff) override;

  // HelperProcesses
  bool on_reaped(pid_t pid, ExitStatus status) override;
  void stop_all(std::function<void()> done) override;
  void kill_all_now() override;
  // daemon.info's dagster_ui (docs/protocol.md).
  nlohmann::json info() const override;
  const char* info_key() const override { return "dagster_ui"; }

 private:
  enum class State { kWaiting, kRunning, kBackoff, kStopping, kStopped, kFailed };
  struct Helper;

  // Once the current event is done: the start, or the workspace file and the webserver's reload.
  void schedule_check();
  // Notes the locations that have settled; true when every current one has, once.
  bool all_settled();
  void start_helpers();
  void launch(Helper& helper);
  void restart_later(Helper& helper, const std::string& why);
  void probe();
  void update_workspace_file();
  void reload_webserver();
  void check_stopped();
  bool groups_gone();

  boost::asio::io_context& io_;
  ProcessLauncher& launcher_;
  ProcessSignals& signals_;
  const Supervisor& supervisor_;
  DagsterUiOptions options_;
  std::filesystem::path workspace_file_;
  std::filesystem::path home_;
  std::vector<std::string> env_;
  std::string python_;                            // chosen at the start
  std::string error_;                             // why the UI cannot run at all
  std::vector<std::unique_ptr<Helper>> helpers_;  // the webserver, then the daemon
  std::set<std::string> settled_;                 // locations that have settled once
  std::set<pid_t> groups_;  // process groups of helpers that may still have members
  std::string written_;     // the workspace text last written
  bool check_posted_ = false;
  bool settle_armed_ = false;
  bool started_ = false;
  bool reload_pending_ = false;  // the file changed; the webserver has not been asked to reload
  bool ready_ = false;           // the webserver answers
  bool probing_ = false;
  bool stopping_ = false;
  std::function<void()> on_stopped_;
  boost::asio::steady_timer settle_timer_;  // the bound on a wait for the locations to settle
  boost::asio::steady_timer probe_timer_;
  boost::asio::steady_timer kill_timer_;
  boost::asio::steady_timer gone_timer_;
};

}  // namespace codeloc::daemon
