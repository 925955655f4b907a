// One supervised location on the event loop: the Asio half of supervision. It owns the
// LocationMachine (the rules) and implements its LocationDriver (the hands): launching children,
// their output pumps and channel session, the four timers, signals and process-tree kills. The
// Supervisor feeds it reaped exits; everything else arrives through its own handlers.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "daemon/code_server_session.h"
#include "daemon/location_machine.h"
#include "daemon/log_ring.h"
#include "daemon/output_pump.h"
#include "daemon/process_launcher.h"
#include "daemon/snapshot.h"
#include "workspace/location_spec.h"

namespace codeloc::daemon {

class Location;

// What the rest of the daemon learns from a location (logging, events, status).
class LocationObserver {
 public:
  virtual ~LocationObserver() = default;
  virtual void location_state_changed(const Location& location, LocationState from,
                                      LocationState to) = 0;
  virtual void location_output(const Location& location, const LogLine& line) = 0;
  virtual void location_definitions(const Location& location, const std::string& old_version) = 0;
};

// Settings every location shares.
struct LocationOptions {
  std::filesystem::path code_server;  // the codeloc_server directory python runs
  std::string default_python = "python3";
  std::size_t log_ring_lines = 1000;
  std::size_t log_ring_bytes = 1u << 20;
  std::size_t log_line_max_bytes = 16u << 10;
  std::size_t max_message_bytes = 512u << 20;
};

// REQUIRES: io, clock, launcher and observer outlive the location.
class Location final : private LocationDriver {
 public:
  Location(boost::asio::io_context& io, const Clock& clock, ProcessLauncher& launcher,
           LocationObserver& observer, const LocationOptions& options, workspace::LocationSpec spec,
           SupervisionPolicy policy);
  // Kills whatever processes are left (SIGKILL); a clean shutdown stops first.
  ~Location() override;
  Location(const Location&) = delete;
  Location& operator=(const Location&) = delete;

  void start();
  void stop();
  void restart();
  // Replaces the entry (a changed workspace) and restarts with it.
  void replace(workspace::LocationSpec spec, SupervisionPolicy policy);
  // SIGKILL to every process now (a second Ctrl-C); the states follow as exits arrive.
  void kill_now() { kill_all(); }

  // From the Supervisor's reaper: a child process exited. Returns true when it was one of ours.
  bool on_reaped(pid_t pid, ExitStatus status);
  // After reaps: tells the machine once no process of the current child is left.
  void check_processes_gone();

  const std::string& name() const { return spec_.name; }
  const workspace::LocationSpec& spec() const { return spec_; }
  LocationState state() const { return machine_.state(); }
  const LocationMachine& machine() const { return machine_; }
  // The current child's pid, when one runs.
  std::optional<pid_t> pid() const;
  // True when no process started for this location remains (current or earlier children).
  bool all_processes_gone() const;
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }
  const std::optional<LocationError>& error() const { return error_; }
  const LogRing& logs() const { return logs_; }
  // The locations.list entry (docs/protocol.md).
  nlohmann::json status_json() const;
  // Relays a control call to the running code server; done gets -32012 when there is none.
  void call(const std::string& method, const nlohmann::json& params,
            std::chrono::milliseconds timeout, std::function<void(ipc::RpcReply)> done);

 private:
  // One started child and what hangs off it. A replaced child stays in retired_ until its exit
  // is reaped and its processes are gone.
  struct Child {
    std::uint64_t id = 0;
    pid_t pid = -1;
    std::string token;  // CODELOC_INSTANCE
    bool exited = false;
    bool reported_gone = false;
    std::shared_ptr<CodeServerSession> session;
    std::shared_ptr<OutputPump> out;
    std::shared_ptr<OutputPump> err;
  };

  // LocationDriver
  LaunchOutcome launch() override;
  void terminate(int signal) override;
  void kill_all() override;
  void send_ping(milliseconds timeout) override;
  void arm_timer(TimerKind kind, milliseconds delay) override;
  void cancel_timer(TimerKind kind) override;
  void state_changed(LocationState from, LocationState to) override;

  LaunchSpec launch_spec(const std::string& token) const;
  std::vector<std::string> child_argv() const;
  void retire_current();
  void on_line(std::uint64_t child_id, pid_t pid, OutputStream stream, std::string_view text,
               bool truncated);
  bool is_current(std::uint64_t child_id) const { return current_ && current_->id == child_id; }
  static bool processes_gone(const Child& child);

  boost::asio::io_context& io_;
  const Clock& clock_;
  ProcessLauncher& launcher_;
  LocationObserver& observer_;
  const LocationOptions& options_;
  workspace::LocationSpec spec_;
  LocationMachine machine_;

  std::array<boost::asio::steady_timer, 4> timers_;
  std::array<std::uint64_t, 4> timer_generation_{};
  std::unique_ptr<Child> current_;
  std::vector<std::unique_ptr<Child>> retired_;
  std::uint64_t next_child_id_ = 1;

  std::optional<Snapshot> snapshot_;
  std::optional<LocationError> error_;
  LogRing logs_;
};

}  // namespace codeloc::daemon
