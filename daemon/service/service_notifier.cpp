#include "daemon/service/service_notifier.h"

#include <array>
#include <utility>

#include "daemon/supervision/location.h"

namespace codeloc::daemon {
namespace {

// A location has been tried once it loaded, failed to load, crashed (BACKOFF) or ended STOPPED
// (every location begins STOPPED without an event, so any change to STOPPED follows a start).
// One broken location must not hold back the daemon's readiness.
bool tried(LocationState state) {
  switch (state) {
    case LocationState::kLoaded:
    case LocationState::kLoadError:
    case LocationState::kBackoff:
    case LocationState::kStopped:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string status_summary(const std::vector<LocationState>& states) {
  static constexpr std::array<std::pair<LocationState, const char*>, 7> kOrder{{
      {LocationState::kLoaded, "loaded"},
      {LocationState::kStarting, "starting"},
      {LocationState::kReloading, "reloading"},
      {LocationState::kLoadError, "load error"},
      {LocationState::kBackoff, "backoff"},
      {LocationState::kStopping, "stopping"},
      {LocationState::kStopped, "stopped"},
  }};
  std::string text =
      std::to_string(states.size()) + (states.size() == 1 ? " location" : " locations");
  const char* separator = ": ";
  for (const auto& [state, label] : kOrder) {
    std::size_t count = 0;
    for (LocationState s : states)
      count += s == state ? 1 : 0;
    if (count == 0) continue;
    text += separator + std::to_string(count) + " " + label;
    separator = ", ";
  }
  return text;
}

ServiceNotifier::ServiceNotifier(NotifySender& sender, StatesFn states)
    : sender_(sender), states_(std::move(states)) {
  if (auto interval = sender_.watchdog_interval(); interval && interval->count() > 1) {
    watchdog_period_ = *interval / 2;
  }
}

void ServiceNotifier::state_changed(const Location& location, LocationState, LocationState to) {
  location_changed(location.name(), to);
}

void ServiceNotifier::location_changed(const std::string& name, LocationState to) {
  if (!ready_ && tried(to)) {
    if (applied_) {
      pending_.erase(name);
    } else {
      tried_.insert(name);  // the first workspace is being applied; its list comes next
    }
  }
  update();
}

void ServiceNotifier::workspace_applied(const workspace::WorkspaceDiff& diff) {
  if (!applied_) {
    // Supervisor::apply starts the first workspace's locations before it reports the workspace,
    // so some may have been tried already.
    applied_ = true;
    for (const auto& name : diff.added) {
      if (!tried_.contains(name)) pending_.insert(name);
    }
    tried_.clear();
  } else {
    // A reload before READY=1: a location that left the workspace is never tried.
    for (const auto& name : diff.removed)
      pending_.erase(name);
  }
  update();
}

void ServiceNotifier::update() {
  // While the first workspace is applied, the locations not started yet would count as STOPPED:
  // the first STATUS= waits for the whole workspace.
  if (!applied_) return;
  if (!ready_ && !stopping_ && pending_.empty()) {
    ready_ = true;
    send("READY=1");
  } else {
    send("");
  }
}

void ServiceNotifier::reload_started() {
  if (!ready_ || stopping_ || reloading_) return;
  reloading_ = true;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(sender_.monotonic_now().count()));
}

void ServiceNotifier::reload_finished() {
  if (!reloading_) return;
  reloading_ = false;
  if (!stopping_) send("READY=1");
}

void ServiceNotifier::stopping() {
  if (stopping_) return;
  stopping_ = true;
  reloading_ = false;
  send("STOPPING=1");
}

void ServiceNotifier::watchdog_ping() {
  sender_.send("WATCHDOG=1");
}

void ServiceNotifier::send(std::string head) {
  std::string status = status_summary(states_());
  if (status != status_) {
    status_ = status;
    head += (head.empty() ? "" : "\n") + std::string("STATUS=") + status;
  }
  if (!head.empty()) sender_.send(head);
}

}  // namespace codeloc::daemon
