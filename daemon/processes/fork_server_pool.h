// Warm interpreters (docs/warm.md): one fork server per distinct Python interpreter, started the
// first time a location of that interpreter starts, which has imported codeloc's code server and
// the preload modules (default: dagster). A warm launch asks it for a fork instead of exec'ing a
// new interpreter; the forked process is re-parented to the daemon and supervised exactly like a
// cold-started one. Whenever a fork cannot be had (the fork server is starting, restarting,
// disabled, or fails the request) the launch is cold and says why.
//
// The pool is the daemon's ProcessLauncher (it wraps the cold one) and one of the Supervisor's
// helper processes (reaped, stopped and killed with the locations). Its parts: ForkClient (the
// socket protocol, fork_client.h), the start-up variable rules (startup_variables.h) and the
// site-packages watch (fork_site_packages.h, on a FileWatcher of the pool's own).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "config/defaults.h"
#include "daemon/logs/output_pump.h"
#include "daemon/processes/fork_client.h"
#include "daemon/processes/fork_site_packages.h"
#include "daemon/processes/helper_processes.h"
#include "daemon/processes/process_launcher.h"
#include "daemon/processes/startup_variables.h"
#include "daemon/watching/file_watcher.h"
#include "daemon/watching/inotify_api.h"

namespace codeloc::daemon {

struct ForkServerOptions {
  std::filesystem::path code_server;  // the codeloc_server directory
  std::vector<std::string> preload{defaults::kWarmPreload};
  // A fork is answered in milliseconds; a request waits this long at most for its answer (on
  // the event loop, which goes on meanwhile), then the fork server is stopped and restarted and
  // the launch goes cold. launch() (not launch_async) blocks that long at most.
  std::chrono::milliseconds request_timeout = defaults::fork_server::kRequestTimeout;
  std::chrono::milliseconds ready_timeout = defaults::fork_server::kReadyTimeout;  // the preloads
  std::chrono::milliseconds backoff_initial = defaults::fork_server::kBackoffInitial;
  std::chrono::milliseconds backoff_max = defaults::fork_server::kBackoffMax;
  std::chrono::milliseconds recycle_quiet = defaults::fork_server::kRecycleQuiet;
  std::chrono::milliseconds stop_timeout = defaults::fork_server::kStopTimeout;  // then SIGKILL
  std::size_t log_line_max_bytes = defaults::kLogLineMaxBytes;
  // The site-packages watch's inotify; null: the system's. Tests make it refuse watches.
  InotifyApi* inotify = nullptr;
};

// REQUIRES: io and cold outlive the pool.
class ForkServerPool final : public ProcessLauncher, public HelperProcesses {
 public:
  ForkServerPool(boost::asio::io_context& io, ProcessLauncher& cold, ForkServerOptions options);
  // SIGKILL to every fork server left (a clean shutdown stops them first).
  ~ForkServerPool() override;
  ForkServerPool(const ForkServerPool&) = delete;
  ForkServerPool& operator=(const ForkServerPool&) = delete;

  // Blocks the event loop while a fork server answers (request_timeout at most); cold, "the
  // fork server is busy", when launch_async requests are pending on it.
  LaunchResult launch(const LaunchSpec& spec) override;
  // The fork request is answered on the event loop: `done` runs from it with the warm child, or
  // with a cold launch when the fork fails (as launch() does). A launch that goes cold without
  // asking a fork server runs `done` inside this call. `done` never runs once the pool is
  // destroyed; the launches pending when stop_all() is called go cold (the daemon is stopping).
  void launch_async(const LaunchSpec& spec, std::function<void(LaunchResult)> done) override;
  // Waits for a fork server's first warm-up (not for its restart after a failure: that may fail
  // again, and its locations start cold meanwhile).
  bool wait_until_warm(const LaunchSpec& spec, std::function<void()> ready) override;

  bool on_reaped(pid_t pid, ExitStatus status) override;
  void stop_all(std::function<void()> done) override;
  void kill_all_now() override;
  // daemon.info's fork_servers (docs/protocol.md).
  nlohmann::json info() const override;
  const char* info_key() const override { return "fork_servers"; }

 private:
  enum class State { kStarting, kReady, kBackoff, kDisabled };
  struct Server;
  // A fork server on its way out (recycled, failed, stopping): reaped, SIGKILLed after a while.
  struct Retired {
    pid_t pid;
    std::unique_ptr<boost::asio::steady_timer> kill_timer;
  };

  Server& server_for(const std::string& python);
  void start(Server& server);
  void on_ready(Server& server, const nlohmann::json& message);
  void watch_site_packages(Server& server);
  // Stops the running process (if any) and restarts after the backoff delay.
  void fail(Server& server, const std::string& why);
  // Stops the running process; no restart until its environment changes.
  void disable(Server& server, const std::string& why);
  // Stops the running process and starts a new one now.
  void recycle(Server& server, const std::string& why);
  void retire(Server& server);
  // Where a launch goes: to a fork server, or cold (server null), with a reason when it wanted
  // to be warm. May start or recycle a fork server.
  struct Route {
    Server* server = nullptr;
    std::string cold_reason;
  };
  Route route(const LaunchSpec& spec);
  LaunchResult launch_cold(const LaunchSpec& spec, const Route& route);
  static ForkRequest fork_request(const LaunchSpec& spec);
  // The launch a fork server's answer makes (kForked: warm; kFailed: cold, and the fork server
  // fails, if it is still the one that was asked: generation is its starts then).
  LaunchResult finish(Server& server, std::uint64_t generation, const LaunchSpec& spec,
                      ForkAnswer answer);
  LaunchResult cold(const LaunchSpec& spec, std::string reason);
  FileWatcher& watcher();
  // The interpreter a warm-eligible spec would be forked from; empty when it must start cold
  // without asking a fork server (the cold launcher reports what is wrong, if anything).
  std::string warm_interpreter(const LaunchSpec& spec) const;
  void release_waiters(Server& server);
  void maybe_done();

  boost::asio::io_context& io_;
  ProcessLauncher& cold_;
  ForkServerOptions options_;
  std::vector<std::string> server_env_;
  std::unique_ptr<FileWatcher> watcher_;  // the site-packages watches'; made when first needed
  std::map<std::string, std::unique_ptr<Server>> servers_;  // by interpreter path; never erased
  std::vector<Retired> retired_;
  bool stopping_ = false;
  std::function<void()> on_stopped_;
  // Handlers hold a weak_ptr to this: one that runs after the pool went away does nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace codeloc::daemon
