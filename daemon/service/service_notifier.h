// What the service manager (systemd, sd_notify(3)) is told about the daemon: READY=1 once every
// location of the first workspace has been tried, a one-line STATUS= kept current, RELOADING=1 /
// READY=1 around a SIGHUP reload, STOPPING=1 on shutdown, and WATCHDOG=1 pings. The rules are
// plain calls (STYLE.md point 8); the messages leave through a NotifySender (real one:
// daemon/service/sd_notify_sender.h), the watchdog's timer is daemon/service/watchdog_timer.h.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/supervision/location_state.h"
#include "daemon/supervision/supervisor.h"

namespace codeloc::daemon {

// The way out to the service manager.
class NotifySender {
 public:
  virtual ~NotifySender() = default;
  // One notification: "KEY=value" assignments separated by newlines, sent as one datagram.
  virtual void send(const std::string& message) = 0;
  // The watchdog interval the service manager asked for (WATCHDOG_USEC), if it asked.
  virtual std::optional<std::chrono::microseconds> watchdog_interval() const = 0;
  // CLOCK_MONOTONIC now, for MONOTONIC_USEC=.
  virtual std::chrono::microseconds monotonic_now() const = 0;
};

// "4 locations: 3 loaded, 1 load error": the count of each state that occurs, in a fixed order
// (loaded, starting, reloading, load error, backoff, stopping, stopped). "0 locations" when empty.
std::string status_summary(const std::vector<LocationState>& states);

// REQUIRES: sender outlives the notifier; `states` returns the state of every location of the
// current workspace (Supervisor::locations()) and stays callable while the notifier is.
class ServiceNotifier final : public SupervisorListener {
 public:
  using StatesFn = std::function<std::vector<LocationState>()>;
  ServiceNotifier(NotifySender& sender, StatesFn states);

  // SupervisorListener: forwards to location_changed and tracks the first workspace.
  void state_changed(const Location& location, LocationState from, LocationState to) override;
  void workspace_applied(const workspace::WorkspaceDiff& diff) override;

  // A location reached `to` (its state is already `to` in what StatesFn returns). Sends READY=1
  // when this was the last untried location of the first workspace, and STATUS= when the
  // summary changed.
  void location_changed(const std::string& name, LocationState to);

  // Around a SIGHUP reload: RELOADING=1 with MONOTONIC_USEC= before the workspace is read, READY=1
  // after it was applied or refused. Nothing before the first READY=1 or after STOPPING=1.
  void reload_started();
  void reload_finished();
  // Shutdown started: STOPPING=1. No READY=1 goes out afterwards.
  void stopping();

  // Half the service manager's watchdog interval: how often watchdog_ping() should run. Unset
  // when no watchdog was asked for.
  std::optional<std::chrono::microseconds> watchdog_period() const { return watchdog_period_; }
  void watchdog_ping();

  bool ready() const { return ready_; }

 private:
  // Sends `head` (may be empty) plus STATUS= when the summary differs from the last one sent;
  // nothing when both are empty.
  void send(std::string head);
  // After any event: READY=1 the first time nothing of the first workspace is left untried, and
  // STATUS= when the summary changed.
  void update();

  NotifySender& sender_;
  StatesFn states_;
  std::optional<std::chrono::microseconds> watchdog_period_;
  bool applied_ = false;           // the first workspace was applied
  bool ready_ = false;             // READY=1 went out for the boot
  bool stopping_ = false;          // STOPPING=1 went out
  bool reloading_ = false;         // RELOADING=1 went out, its READY=1 not yet
  std::set<std::string> tried_;    // before the first apply: locations tried already
  std::set<std::string> pending_;  // after it, until READY=1: first-workspace locations untried
  std::string status_;             // the last STATUS= sent
};

}  // namespace codeloc::daemon
