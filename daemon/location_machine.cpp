#include "daemon/location_machine.h"

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
      break;
  }
}

void LocationMachine::stop() {
  want_running_ = false;
  restart_after_stop_ = false;
  switch (state_) {
    case LocationState::kStarting:
    case LocationState::kLoaded:
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
  if (state_ == LocationState::kStopped || state_ == LocationState::kBackoff ||
      (state_ == LocationState::kLoadError && !process_alive())) {
    start();
    return;
  }
  want_running_ = true;
  restart_after_stop_ = true;
  if (state_ != LocationState::kStopping) begin_stop();
}

void LocationMachine::fail_configuration(const std::string& message) {
  want_running_ = false;
  error_ = message;
  enter(LocationState::kLoadError);
}

void LocationMachine::on_loaded() {
  if (state_ != LocationState::kStarting) return;
  driver_->cancel_timer(TimerKind::kStartup);
  error_.clear();
  missed_pings_ = 0;
  enter(LocationState::kLoaded);
  driver_->arm_timer(TimerKind::kPing, policy_.ping_interval);
}

void LocationMachine::on_load_error(const std::string& message) {
  if (state_ != LocationState::kStarting) return;
  driver_->cancel_timer(TimerKind::kStartup);
  // Not a crash: restarting cannot fix the user's code. The process stays up (it still answers),
  // and the location waits here until its files change or someone asks for a reload.
  error_ = message;
  enter(LocationState::kLoadError);
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
        if (!status.clean()) error_ = "the code server " + status.describe();
        enter(LocationState::kStopped);
      } else {
        crashed("the code server " + status.describe());
      }
      break;
    case LocationState::kLoadError:
      driver_->kill_all();  // whatever it left behind; the error stays until a reload
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

void LocationMachine::crashed(const std::string& reason) {
  driver_->cancel_timer(TimerKind::kStartup);
  driver_->cancel_timer(TimerKind::kPing);
  driver_->kill_all();
  error_ = reason;
  if (policy_.restart == RestartPolicy::kNever) {
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
  driver_->arm_timer(TimerKind::kBackoff, backoff_delay_);
  enter(LocationState::kBackoff);
}

void LocationMachine::begin_stop() {
  driver_->cancel_timer(TimerKind::kStartup);
  driver_->cancel_timer(TimerKind::kPing);
  driver_->cancel_timer(TimerKind::kBackoff);
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
