#include "daemon/supervision/location_machine.h"

#include <algorithm>

#include "workspace/values.h"

namespace codeloc::daemon {

using workspace::RestartPolicy;

LocationMachine::LocationMachine(SupervisionPolicy policy, LocationDriver* driver,
                                 const Clock* clock)
    : policy_(policy),
      driver_(driver),
      clock_(clock),
      since_(clock->now()),
      backoff_(policy.backoff_initial) {}

void LocationMachine::start() {
  want_running_ = true;
  switch (state_) {
    case LocationState::kStopped:
      launch_now();
      break;
    case LocationState::kLoadError:
      // Starting a location that failed to load means "try again": replace any process left.
      if (process_alive()) {
        restart_after_stop_ = true;
        begin_stop();
      } else {
        launch_now();
      }
      break;
    case LocationState::kBackoff:
      driver_->cancel_timer(TimerKind::kBackoff);
      launch_now();
      break;
    case LocationState::kStopping:
      restart_after_stop_ = true;
      break;
    case LocationState::kStarting:
    case LocationState::kLoaded:
    case LocationState::kReloading:
      break;
  }
}

void LocationMachine::stop() {
  want_running_ = false;
  restart_after_stop_ = false;
  reload_queued_ = false;
  switch (state_) {
    case LocationState::kStarting:
    case LocationState::kLoaded:
    case LocationState::kReloading:
      begin_stop();
      break;
    case LocationState::kLoadError:
    case LocationState::kBackoff:
      driver_->cancel_timer(TimerKind::kBackoff);
      if (process_alive()) {
        begin_stop();
      } else {
        enter(LocationState::kStopped);
      }
      break;
    case LocationState::kStopping:
    case LocationState::kStopped:
      break;
  }
}

void LocationMachine::restart() {
  backoff_ = policy_.backoff_initial;
  reload_queued_ = false;
  if (state_ == LocationState::kStopped || state_ == LocationState::kBackoff ||
      (state_ == LocationState::kLoadError && !process_alive())) {
    start();
    return;
  }
  want_running_ = true;
  restart_after_stop_ = true;
  if (state_ != LocationState::kStopping) begin_stop();
}

void LocationMachine::reload() {
  switch (state_) {
    case LocationState::kStarting:
    case LocationState::kReloading:
      // The running load may have read the files before they changed: load once more after it.
      reload_queued_ = true;
      break;
    case LocationState::kLoaded:
    case LocationState::kLoadError:
    case LocationState::kBackoff:
      launch_candidate_now();
      break;
    case LocationState::kStopping:
    case LocationState::kStopped:
      break;
  }
}

void LocationMachine::fail_configuration(const std::string& message) {
  want_running_ = false;
  error_ = message;
  enter(LocationState::kLoadError);
}

void LocationMachine::on_loaded() {
  if (state_ == LocationState::kStarting) loaded();
}

void LocationMachine::on_load_error(const std::string& message) {
  if (state_ == LocationState::kStarting) load_failed(message);
}

void LocationMachine::loaded() {
  driver_->cancel_timer(TimerKind::kStartup);
  error_.clear();
  missed_pings_ = 0;
  enter(LocationState::kLoaded);
  driver_->arm_timer(TimerKind::kPing, policy_.ping_interval);
  after_load();
}

void LocationMachine::load_failed(const std::string& message) {
  driver_->cancel_timer(TimerKind::kStartup);
  // Not a crash: restarting cannot fix the user's code. The process stays up (it still answers),
  // and the location waits here until its files change or someone asks for a reload.
  error_ = message;
  enter(LocationState::kLoadError);
  after_load();
}

void LocationMachine::on_exit(ExitStatus status) {
  leader_alive_ = false;
  last_exit_ = status;
  switch (state_) {
    case LocationState::kStarting:
    case LocationState::kLoaded:
      if (!wants_restart_after(status)) {
        driver_->cancel_timer(TimerKind::kStartup);
        driver_->cancel_timer(TimerKind::kPing);
        driver_->kill_all();
        want_running_ = false;
        reload_queued_ = false;  // a later start reads the files anew
        if (!status.clean()) error_ = "the code server " + status.describe();
        enter(LocationState::kStopped);
      } else {
        crashed("the code server " + status.describe());
      }
      break;
    case LocationState::kLoadError:
      driver_->kill_all();  // whatever it left behind; the error stays until a reload
      break;
    case LocationState::kReloading:
      // The old child died while its successor loads: the reload's outcome decides what follows,
      // and retiring the old child then sweeps whatever it left.
      break;
    case LocationState::kStopping:
    case LocationState::kBackoff:
    case LocationState::kStopped:
      break;
  }
}

void LocationMachine::on_group_empty() {
  group_empty_ = true;
  if (state_ != LocationState::kStopping || leader_alive_) return;
  driver_->cancel_timer(TimerKind::kStopTimeout);
  if (restart_after_stop_ && want_running_) {
    restart_after_stop_ = false;
    launch_now();
  } else {
    enter(LocationState::kStopped);
  }
}

void LocationMachine::on_ping_result(bool answered) {
  if (state_ != LocationState::kLoaded) return;
  missed_pings_ = answered ? 0 : missed_pings_ + 1;
  if (missed_pings_ >= policy_.ping_misses) {
    crashed("the code server stopped answering pings (" + std::to_string(missed_pings_) +
            " missed)");
    return;
  }
  driver_->arm_timer(TimerKind::kPing, policy_.ping_interval);
}

void LocationMachine::on_timer(TimerKind kind) {
  switch (kind) {
    case TimerKind::kStartup:
      if (state_ == LocationState::kStarting) {
        crashed("the code server did not load within " +
                workspace::format_duration(policy_.startup_timeout) + " (startup_timeout)");
      } else if (state_ == LocationState::kReloading) {
        candidate_failed("the new code server did not load within " +
                         workspace::format_duration(policy_.startup_timeout) +
                         " (startup_timeout)");
      }
      break;
    case TimerKind::kBackoff:
      if (state_ == LocationState::kBackoff && want_running_) {
        ++restarts_;
        launch_now();
      }
      break;
    case TimerKind::kStopTimeout:
      // The stop signal was not enough: escalate, then keep waiting for the group to be empty.
      if (state_ == LocationState::kStopping) driver_->kill_all();
      break;
    case TimerKind::kPing:
      if (state_ == LocationState::kLoaded) driver_->send_ping(policy_.ping_interval);
      break;
  }
}

void LocationMachine::on_candidate_loaded() {
  if (state_ != LocationState::kReloading) return;
  adopt_candidate();
  loaded();
}

void LocationMachine::on_candidate_load_error(const std::string& message) {
  if (state_ != LocationState::kReloading) return;
  // The new code is what the location is now: the error process replaces the old child, and the
  // last good definitions stay served, marked stale, until a later reload loads.
  adopt_candidate();
  load_failed(message);
}

void LocationMachine::adopt_candidate() {
  driver_->promote_candidate();
  leader_alive_ = candidate_alive_;
  group_empty_ = false;
  candidate_alive_ = false;
  started_at_ = candidate_started_at_;
}

void LocationMachine::on_candidate_exit(ExitStatus status) {
  if (state_ != LocationState::kReloading || !candidate_alive_) return;
  candidate_alive_ = false;
  last_exit_ = status;
  candidate_failed("the new code server " + status.describe() + " while reloading");
}

void LocationMachine::launch_candidate_now() {
  want_running_ = true;
  driver_->cancel_timer(TimerKind::kBackoff);
  driver_->cancel_timer(TimerKind::kPing);
  LaunchOutcome outcome = driver_->launch_candidate();
  switch (outcome.kind) {
    case LaunchOutcome::Kind::kStarted:
      candidate_alive_ = true;
      candidate_started_at_ = clock_->now();
      ++reloads_;
      driver_->arm_timer(TimerKind::kStartup, policy_.startup_timeout);
      enter(LocationState::kReloading);
      break;
    case LaunchOutcome::Kind::kCannotStart:
      driver_->retire_current();
      leader_alive_ = false;
      group_empty_ = true;
      want_running_ = false;
      error_ = outcome.error;
      enter(LocationState::kLoadError);
      break;
    case LaunchOutcome::Kind::kTransientFail:
      driver_->retire_current();
      leader_alive_ = false;
      group_empty_ = true;
      crashed(outcome.error, /*kill_current=*/false);
      break;
  }
}

// A reload that crashed or timed out: the location goes down the crash path (BACKOFF, or STOPPED
// for restart: never) with neither child. Its last good definitions stay served, marked stale.
void LocationMachine::candidate_failed(const std::string& reason) {
  driver_->cancel_timer(TimerKind::kStartup);
  driver_->discard_candidate();
  candidate_alive_ = false;
  driver_->retire_current();
  leader_alive_ = false;
  group_empty_ = true;
  reload_queued_ = false;  // the restart after the backoff reads the files anew anyway
  started_at_ = candidate_started_at_;
  crashed(reason, /*kill_current=*/false);
}

void LocationMachine::after_load() {
  if (!reload_queued_) return;
  reload_queued_ = false;
  reload();
}

void LocationMachine::launch_now() {
  LaunchOutcome outcome = driver_->launch();
  switch (outcome.kind) {
    case LaunchOutcome::Kind::kStarted:
      leader_alive_ = true;
      group_empty_ = false;
      started_at_ = clock_->now();
      missed_pings_ = 0;
      driver_->arm_timer(TimerKind::kStartup, policy_.startup_timeout);
      enter(LocationState::kStarting);
      break;
    case LaunchOutcome::Kind::kCannotStart:
      want_running_ = false;
      error_ = outcome.error;
      enter(LocationState::kLoadError);
      break;
    case LaunchOutcome::Kind::kTransientFail:
      crashed(outcome.error);
      break;
  }
}

void LocationMachine::crashed(const std::string& reason, bool kill_current) {
  driver_->cancel_timer(TimerKind::kStartup);
  driver_->cancel_timer(TimerKind::kPing);
  reload_queued_ = false;
  error_ = reason;
  if (policy_.restart == RestartPolicy::kNever) {
    if (kill_current) driver_->kill_all();
    want_running_ = false;
    enter(LocationState::kStopped);
    return;
  }
  // A run that lasted past reset_after was stable: the next crash starts the sequence anew.
  if (clock_->now() - started_at_ >= policy_.backoff_reset_after) {
    backoff_ = policy_.backoff_initial;
  }
  backoff_delay_ = backoff_;
  backoff_ = std::min(backoff_ * 2, policy_.backoff_max);
  // The backoff counts from the exit: the sweep of what the child left (a look at /proc when its
  // group is not empty) and the state change's log and events happen while it runs.
  driver_->arm_timer(TimerKind::kBackoff, backoff_delay_);
  if (kill_current) driver_->kill_all();
  enter(LocationState::kBackoff);
}

void LocationMachine::begin_stop() {
  driver_->cancel_timer(TimerKind::kStartup);
  driver_->cancel_timer(TimerKind::kPing);
  driver_->cancel_timer(TimerKind::kBackoff);
  if (candidate_alive_ || state_ == LocationState::kReloading) {
    driver_->discard_candidate();
    candidate_alive_ = false;
  }
  enter(LocationState::kStopping);
  if (!process_alive()) {
    on_group_empty();
    return;
  }
  driver_->terminate(policy_.stop_signal);
  driver_->arm_timer(TimerKind::kStopTimeout, policy_.stop_timeout);
}

void LocationMachine::enter(LocationState next) {
  if (next == state_) return;
  LocationState previous = state_;
  state_ = next;
  since_ = clock_->now();
  driver_->state_changed(previous, next);
}

bool LocationMachine::wants_restart_after(const ExitStatus& status) const {
  switch (policy_.restart) {
    case RestartPolicy::kAlways:
      return true;
    case RestartPolicy::kOnFailure:
      return !status.clean();
    case RestartPolicy::kNever:
      return false;
  }
  return false;
}

}  // namespace codeloc::daemon
