// LocationMachine: the supervision rules of one location, as a plain class fed one event at a time
// (STYLE.md point 8). It owns no process, socket or timer: it asks a LocationDriver to act, and the
// Asio layer (daemon/supervision/location.h) turns exits, answers and timers back into calls here.
// So restart, backoff, timeout and stop rules are unit-tested without sleeping (tests/daemon/).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/defaults.h"
#include "daemon/common/clock.h"
#include "daemon/supervision/location_state.h"
#include "workspace/location_spec.h"

namespace codeloc::daemon {

using std::chrono::milliseconds;

// Every supervision setting of one location, resolved (the entry's own, else the daemon's).
struct SupervisionPolicy {
  workspace::RestartPolicy restart = workspace::RestartPolicy::kOnFailure;
  milliseconds backoff_initial = defaults::kBackoffInitial;
  milliseconds backoff_max = defaults::kBackoffMax;
  milliseconds backoff_reset_after = defaults::kBackoffResetAfter;
  milliseconds startup_timeout = defaults::kStartupTimeout;
  milliseconds stop_timeout = defaults::kStopTimeout;
  int stop_signal = defaults::kStopSignal;
  milliseconds ping_interval = defaults::kPingInterval;
  int ping_misses = defaults::kPingMisses;  // unanswered pings in a row: a hung code server
};

enum class TimerKind { kStartup, kBackoff, kStopTimeout, kPing };

// The machine's hands. Implemented by the Asio layer, and by a recording fake in tests.
class LocationDriver {
 public:
  virtual ~LocationDriver() = default;
  // Start a child (new process group, channel, handshake, definitions request). Synchronous: the
  // outcome says whether a process now runs.
  virtual LaunchOutcome launch() = 0;
  // Ask the code server to exit (best effort) and send `signal` to the process group.
  virtual void terminate(int signal) = 0;
  // SIGKILL the process group and every remaining descendant. Safe to call when none is left.
  virtual void kill_all() = 0;
  // Send one ping; the answer (or its absence within the ping interval) comes back as
  // LocationMachine::on_ping_result.
  virtual void send_ping(milliseconds timeout) = 0;
  // One timer per kind: arming a kind again replaces it; expiry calls LocationMachine::on_timer.
  virtual void arm_timer(TimerKind kind, milliseconds delay) = 0;
  virtual void cancel_timer(TimerKind kind) = 0;
  // Start a second child beside the current one (a reload). Its events come back through the
  // on_candidate_* calls; the current child keeps running and serving meanwhile.
  virtual LaunchOutcome launch_candidate() = 0;
  // The candidate becomes the current child. The previous current child, if any, is retired:
  // asked to stop with the stop signal and SIGKILLed after the stop timeout, outside the
  // machine's view (none of its events reach the machine again).
  virtual void promote_candidate() = 0;
  // Retires the current child as promote_candidate does, without a successor.
  virtual void retire_current() = 0;
  // SIGKILLs the candidate's processes and forgets it (a failed or abandoned reload).
  virtual void discard_candidate() = 0;
  // Observation only: called after every state change (logging, events, status).
  virtual void state_changed(LocationState from, LocationState to) = 0;
};

class LocationMachine {
 public:
  // REQUIRES: driver and clock outlive the machine.
  LocationMachine(SupervisionPolicy policy, LocationDriver* driver, const Clock* clock);

  // Requests from the supervisor and from clients.
  void start();    // want it running: launches now unless already running or stopping
  void stop();     // want it stopped: graceful stop with escalation; STOPPED when all is gone
  void restart();  // stop if running, then start; resets the backoff
  // The location's files or entry changed: load them in a new child beside the current one
  // (RELOADING), swap when it has loaded. While a load is running (STARTING, RELOADING) one more
  // reload is queued, never more, and runs when that load ends: loaded or failed (LOAD_ERROR). A
  // load that crashes, times out or stops instead forgets it: the next start reads the files
  // anew. A crash waiting in BACKOFF restarts at once. A STOPPED or STOPPING location is left
  // alone.
  void reload();
  // A fatal configuration problem (grpc_server entry, ...): LOAD_ERROR with this message.
  void fail_configuration(const std::string& message);

  // Events from the child.
  void on_loaded();                                // definitions received
  void on_load_error(const std::string& message);  // the code server reported a load error
  void on_exit(ExitStatus status);                 // the group leader exited
  void on_group_empty();                           // no process of the location is left
  void on_ping_result(bool answered);
  void on_timer(TimerKind kind);
  // Events from the candidate child of a reload (RELOADING).
  void on_candidate_loaded();
  void on_candidate_load_error(const std::string& message);
  void on_candidate_exit(ExitStatus status);

  LocationState state() const { return state_; }
  Clock::TimePoint since() const { return since_; }
  bool process_alive() const { return leader_alive_ || !group_empty_; }
  int restarts() const { return restarts_; }
  // Reloads started (RELOADING entered), and whether one more is queued.
  int reloads() const { return reloads_; }
  bool reload_queued() const { return reload_queued_; }
  const std::optional<ExitStatus>& last_exit() const { return last_exit_; }
  // The load error, crash reason or configuration problem; empty when none.
  const std::string& error() const { return error_; }
  milliseconds next_backoff() const { return backoff_; }
  // In BACKOFF: how long the pending restart waits.
  milliseconds backoff_delay() const { return backoff_delay_; }
  const SupervisionPolicy& policy() const { return policy_; }
  void set_policy(const SupervisionPolicy& policy) { policy_ = policy; }

 private:
  void launch_now();
  void loaded();                                 // STARTING or RELOADING -> LOADED
  void load_failed(const std::string& message);  // ... -> LOAD_ERROR
  void adopt_candidate();                        // the candidate is the current child now
  void launch_candidate_now();
  void candidate_failed(const std::string& reason);
  void after_load();  // runs a queued reload
  void crashed(const std::string& reason, bool kill_current = true);
  void begin_stop();
  void enter(LocationState next);
  bool wants_restart_after(const ExitStatus& status) const;

  SupervisionPolicy policy_;
  LocationDriver* driver_;
  const Clock* clock_;

  LocationState state_ = LocationState::kStopped;
  Clock::TimePoint since_;
  Clock::TimePoint started_at_;
  bool want_running_ = false;
  bool leader_alive_ = false;
  bool group_empty_ = true;
  bool restart_after_stop_ = false;
  bool reload_queued_ = false;
  bool candidate_alive_ = false;
  Clock::TimePoint candidate_started_at_;
  int restarts_ = 0;
  int reloads_ = 0;
  int missed_pings_ = 0;
  milliseconds backoff_;
  milliseconds backoff_delay_{0};
  std::optional<ExitStatus> last_exit_;
  std::string error_;
};

}  // namespace codeloc::daemon
