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

#include "daemon/dagster/dagster_address.h"
#include "daemon/logs/log_ring.h"
#include "daemon/logs/output_pump.h"
#include "daemon/processes/process_launcher.h"
#include "daemon/processes/process_signals.h"
#include "daemon/supervision/child_set.h"
#include "daemon/supervision/code_server_session.h"
#include "daemon/supervision/dagster_publication.h"
#include "daemon/supervision/location_machine.h"
#include "daemon/supervision/location_options.h"
#include "daemon/supervision/reload_report.h"
#include "daemon/supervision/snapshot.h"
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
  // A reload (RELOADING) ended: loaded, load error, crash or stop.
  virtual void location_reloaded(const Location& location, const ReloadReport& report) = 0;
};

// What a location knows of itself, as plain data: the control layer turns it into the
// locations.list entry (daemon/control/location_status.h, docs/protocol.md).
struct LocationStatus {
  std::string name;
  workspace::LocationKind kind = workspace::LocationKind::kCommand;
  LocationState state = LocationState::kStopped;
  std::optional<pid_t> pid;  // the current child's, while it runs
  int restarts = 0;
  int reloads = 0;
  // A change came while a load ran (STARTING, RELOADING): one more load follows its end.
  bool reload_queued = false;
  std::chrono::system_clock::time_point since;  // when the state was entered (wall clock)
  std::optional<ExitStatus> last_exit;
  // The load error, crash reason or configuration problem (empty: none), and the code server's
  // structured error when it is the one that message comes from.
  std::string error;
  std::optional<nlohmann::json> error_detail;
  std::optional<std::string> definitions_version;
  std::string start_mode;   // "warm" or "cold" for a Python location's running child; else empty
  std::string cold_reason;  // with start_mode: why a wanted warm start is cold; else empty
  // Dagster's gRPC API: someone else's server (grpc_server entries, as the entry names it), or
  // the one this location's code servers serve at a stable socket path.
  struct DagsterGrpc {
    enum class Kind { kNone, kAttached, kServed };
    Kind kind = Kind::kNone;
    std::optional<std::string> socket;  // kAttached: a socket, or else host and port
    std::string host;
    int port = 0;
    bool published = false;  // kServed: the stable path names a running server
    std::string error;       // kServed: why it is not published; empty: none
  } dagster_grpc;
  std::vector<pid_t> draining;  // replaced code servers still finishing their Dagster runs
};

// REQUIRES: io, clock, launcher, signals and observer outlive the location; signals also outlives
// the launcher's pending launch_async results (a late one for a gone location is killed).
class Location final : private LocationDriver {
 public:
  Location(boost::asio::io_context& io, const Clock& clock, ProcessLauncher& launcher,
           ProcessSignals& signals, LocationObserver& observer, const LocationOptions& options,
           workspace::LocationSpec spec, SupervisionPolicy policy);
  // Kills whatever processes are left (SIGKILL); a clean shutdown stops first.
  ~Location() override;
  Location(const Location&) = delete;
  Location& operator=(const Location&) = delete;

  void start();
  void stop();
  void restart();
  // Loads the location's code again in a new child beside the running one
  // (LocationMachine::reload). `cause` says why, for the reload's log line and event ("assets.py
  // changed"). A request (location.reload) also starts a STOPPED location; a file change does not.
  enum class ReloadTrigger { kFiles, kRequest };
  void reload(ReloadTrigger trigger, std::string cause);
  // Replaces the entry (a changed workspace) and loads it beside the running child.
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
  // Shared so that answers relaying the bytes hold them without a copy (ipc::OutgoingLine).
  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }
  // Why the running reload (RELOADING) started.
  const std::string& reload_cause() const { return reload_cause_; }
  // The last reload's report, if any reload ended.
  const std::optional<LocationError>& error() const { return error_; }
  const LogRing& logs() const { return logs_; }
  // What locations.list shows of it (daemon/control/location_status.h makes the entry).
  LocationStatus status() const;
  // Relays a control call to the running code server; done gets -32012 when there is none.
  void call(const std::string& method, const nlohmann::json& params,
            std::chrono::milliseconds timeout, std::function<void(ipc::RpcReply)> done);

 private:
  using Child = LocationChild;

  // LocationDriver
  LaunchOutcome launch() override;
  LaunchOutcome launch_candidate() override;
  void promote_candidate() override;
  void retire_current() override;
  void discard_candidate() override;
  void terminate(int signal) override;
  void kill_all() override;
  void send_ping(milliseconds timeout) override;
  void arm_timer(TimerKind kind, milliseconds delay) override;
  void cancel_timer(TimerKind kind) override;
  void state_changed(LocationState from, LocationState to) override;

  LaunchSpec launch_spec(const Child& child) const;
  // "warm" or "cold" for a Python location's started process; empty otherwise.
  std::string start_mode(const Child& child) const;
  // Starts a child for the current spec into `child`; the session's events go to the current or
  // the candidate handlers, whichever the child is by then.
  LaunchOutcome spawn(Child& child);
  // The process part of spawn: the channel and the launch (ProcessLauncher::launch_async). A
  // result given at once is attached at once and is the outcome; else the child waits (kStarted,
  // no pid yet) and launched_late attaches it.
  LaunchOutcome start_process(Child& child, LaunchSpec launch);
  // A started process's output pumps and channel session, into `child`.
  LaunchOutcome attach(Child& child, LaunchResult result, UniqueFd channel);
  // A launch_async result that came after start_process returned.
  void launched_late(std::uint64_t child_id, LaunchResult result, UniqueFd channel);
  // Whether a waiting child (`child` is current or candidate) is still wanted by the machine.
  bool still_wanted(const Child& child) const;
  // A waiting child's start failed: a load error when it can never start, else a crash (exit
  // 127), restarted with backoff.
  void start_failed(Child& child, const LaunchOutcome& outcome);
  // The fork server a start waited for is ready (or failed): start it now, if still wanted.
  void launch_waiting(std::uint64_t child_id);
  CodeServerSession::Callbacks session_callbacks(std::uint64_t id);
  void on_definitions(std::uint64_t child_id, Snapshot snapshot);
  void on_load_error(std::uint64_t child_id, LocationError error);
  // Moves a child to retired_; `stop` asks it to stop first (stop signal, then SIGKILL after the
  // stop timeout).
  void retire(std::unique_ptr<Child> child, bool stop);
  // A retired child: the stop signal now, SIGKILL after the stop timeout.
  void stop_retired(Child& child, int signal);
  // A retired child that serves Dagster gRPC: dagster.drain now, stop_retired after the drain
  // timeout unless it has exited by then.
  void drain_retired(Child& child);
  // Runs `action` on `child` after `delay`, if it is still retired and running then.
  void after_retired(Child& child, std::chrono::milliseconds delay,
                     std::function<void(Child&)> action);
  // The dagster_grpc part of status().
  LocationStatus::DagsterGrpc dagster_grpc_status() const;
  void kill_child(const Child& child);
  void reload_ended(LocationState outcome);
  void on_line(std::uint64_t child_id, pid_t pid, OutputStream stream, std::string_view text,
               bool truncated);
  bool is_current(std::uint64_t child_id) const { return children_.is_current(child_id); }
  bool is_candidate(std::uint64_t child_id) const { return children_.is_candidate(child_id); }
  bool processes_gone(const Child& child) const;

  boost::asio::io_context& io_;
  const Clock& clock_;
  ProcessLauncher& launcher_;
  ProcessSignals& signals_;
  LocationObserver& observer_;
  const LocationOptions& options_;
  workspace::LocationSpec spec_;
  LocationMachine machine_;

  // The machine's four timers (TimerKind) share one Asio timer, armed for the earliest of their
  // deadlines (time_point::max(): not armed): one Asio object and at most one pending wait per
  // location, whatever the machine has armed.
  void rearm_timer();
  void on_timer_expired();
  std::array<std::chrono::steady_clock::time_point, 4> deadlines_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point timer_armed_for_ =
      std::chrono::steady_clock::time_point::max();
  std::uint64_t timer_generation_ = 0;
  ChildSet children_;
  // Expires with the location: callbacks kept elsewhere (ProcessLauncher::wait_until_warm) check
  // it.
  std::shared_ptr<char> alive_ = std::make_shared<char>();

  DagsterPublication dagster_;  // Python kinds with Dagster gRPC on: the location's address
  std::shared_ptr<const Snapshot> snapshot_;
  std::optional<LocationError> error_;
  LogRing logs_;

  // The running reload (RELOADING) and what asked for it.
  std::string reload_cause_;
  std::string reload_start_mode_;  // the running reload's candidate: "warm", "cold" or ""
  std::string queued_cause_;
  Clock::TimePoint reload_started_;
  std::optional<DefinitionsChange> reload_change_;  // set when the candidate delivered
};

}  // namespace codeloc::daemon
