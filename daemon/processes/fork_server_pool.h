// Warm interpreters (docs/warm.md): one fork server per distinct Python interpreter, started the
// first time a location of that interpreter starts, which has imported codeloc's code server and
// the preload modules (default: dagster). A warm launch asks it for a fork instead of exec'ing a
// new interpreter; the forked process is re-parented to the daemon and supervised exactly like a
// cold-started one. Whenever a fork cannot be had (the fork server is starting, restarting,
// disabled, or fails the request) the launch is cold and says why.
//
// The pool is the daemon's ProcessLauncher (it wraps the cold one) and one of the Supervisor's
// helper processes (reaped, stopped and killed with the locations).
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
#include "daemon/common/unique_fd.h"
#include "daemon/logs/output_pump.h"
#include "daemon/processes/helper_processes.h"
#include "daemon/processes/process_launcher.h"

namespace codeloc::daemon {

struct ForkServerOptions {
  std::filesystem::path code_server;  // the codeloc_server directory
  std::vector<std::string> preload{defaults::kWarmPreload};
  // A fork is answered in milliseconds; the event loop waits this long at most (once: a fork
  // server that misses it is stopped and restarted) before the launch goes cold.
  std::chrono::milliseconds request_timeout = defaults::fork_server::kRequestTimeout;
  std::chrono::milliseconds ready_timeout = defaults::fork_server::kReadyTimeout;  // the preloads
  std::chrono::milliseconds backoff_initial = defaults::fork_server::kBackoffInitial;
  std::chrono::milliseconds backoff_max = defaults::fork_server::kBackoffMax;
  std::chrono::milliseconds recycle_quiet = defaults::fork_server::kRecycleQuiet;
  std::chrono::milliseconds stop_timeout = defaults::fork_server::kStopTimeout;  // then SIGKILL
  std::size_t log_line_max_bytes = defaults::kLogLineMaxBytes;
};

// The variables an interpreter reads when it starts (PYTHON* except PYTHONPATH and
// PYTHONUNBUFFERED, LD_PRELOAD, LD_LIBRARY_PATH): a fork inherits the fork server's, so a
// location whose value differs starts cold. Returns the first that differs, or empty.
std::string startup_variable_difference(const std::vector<std::string>& location_env,
                                        const std::vector<std::string>& server_env);

// REQUIRES: io and cold outlive the pool.
class ForkServerPool final : public ProcessLauncher, public HelperProcesses {
 public:
  ForkServerPool(boost::asio::io_context& io, ProcessLauncher& cold, ForkServerOptions options);
  // SIGKILL to every fork server left (a clean shutdown stops them first).
  ~ForkServerPool() override;
  ForkServerPool(const ForkServerPool&) = delete;
  ForkServerPool& operator=(const ForkServerPool&) = delete;

  LaunchResult launch(const LaunchSpec& spec) override;
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
  void wait_ready(Server& server);
  void on_ready(Server& server, const nlohmann::json& message);
  void watch_site_packages(Server& server);
  void read_site_packages_events(Server& server);
  // Stops the running process (if any) and restarts after the backoff delay.
  void fail(Server& server, const std::string& why);
  // Stops the running process; no restart until its environment changes.
  void disable(Server& server, const std::string& why);
  // Stops the running process and starts a new one now.
  void recycle(Server& server, const std::string& why);
  void retire(Server& server);
  LaunchResult fork(Server& server, const LaunchSpec& spec, std::string* error, bool* unsafe);
  LaunchResult cold(const LaunchSpec& spec, std::string reason);
  // The interpreter a warm-eligible spec would be forked from; empty when it must start cold
  // without asking a fork server (the cold launcher reports what is wrong, if anything).
  std::string warm_interpreter(const LaunchSpec& spec) const;
  void release_waiters(Server& server);
  void maybe_done();

  boost::asio::io_context& io_;
  ProcessLauncher& cold_;
  ForkServerOptions options_;
  std::vector<std::string> server_env_;
  std::map<std::string, std::unique_ptr<Server>> servers_;  // by interpreter path
  std::vector<Retired> retired_;
  std::uint64_t next_request_ = 1;
  bool stopping_ = false;
  std::function<void()> on_stopped_;
};

}  // namespace codeloc::daemon
