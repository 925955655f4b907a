#include "daemon/supervision/supervisor.h"

#include <algorithm>
#include <optional>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "daemon/logs/log_context.h"
#include "workspace/values.h"

namespace codeloc::daemon {
namespace {

constexpr auto kRecheckInterval = std::chrono::milliseconds(250);

}  // namespace

Supervisor::Supervisor(boost::asio::io_context& io, const Clock& clock, ProcessLauncher& launcher,
                       const config::Settings& settings, LocationOptions options,
                       ProcessSignals& signals)
    : io_(io),
      clock_(clock),
      launcher_(launcher),
      signals_(signals),
      settings_(settings),
      options_(std::move(options)),
      recheck_(io) {}

Supervisor::~Supervisor() = default;

SupervisionPolicy Supervisor::policy_for(const workspace::LocationSpec& spec) const {
  config::RestartSettings restart = settings_.restart_for(spec.restart);
  SupervisionPolicy policy;
  policy.restart = restart.policy;
  policy.backoff_initial = restart.backoff_initial;
  policy.backoff_max = restart.backoff_max;
  policy.backoff_reset_after = restart.backoff_reset_after;
  policy.startup_timeout = restart.startup_timeout;
  policy.stop_timeout = restart.stop_timeout;
  policy.stop_signal = restart.stop_signal;
  policy.ping_interval = settings_.ping_interval;
  policy.ping_misses = static_cast<int>(settings_.ping_misses);
  return policy;
}

std::unique_ptr<Location> Supervisor::make_location(workspace::LocationSpec spec) {
  SupervisionPolicy policy = policy_for(spec);
  LocationObserver& observer = *this;
  return std::make_unique<Location>(io_, clock_, launcher_, signals_, observer, options_,
                                    std::move(spec), policy);
}

workspace::WorkspaceDiff Supervisor::apply(workspace::Workspace next) {
  workspace::WorkspaceDiff diff = workspace::diff(workspace_, next);
  if (!applied_) {
    // The first workspace: everything is "added".
    diff = workspace::diff(workspace::Workspace{}, next);
  }
  applied_ = true;
  for (const auto& name : diff.removed) {
    auto it = std::find_if(locations_.begin(), locations_.end(),
                           [&](const auto& location) { return location->name() == name; });
    if (it == locations_.end()) continue;
    log_location(spdlog::level::info, name, "{}: removed from the workspace, stopping", name);
    (*it)->stop();
    removing_.push_back(std::move(*it));
    locations_.erase(it);
  }
  for (const auto& change : diff.changed) {
    if (Location* location = find(change.name)) {
      std::string fields;
      for (const auto& field : change.fields)
        fields += (fields.empty() ? "" : ", ") + field;
      log_location(spdlog::level::info, change.name, "{}: changed ({}), reloading", change.name,
                   fields);
      const workspace::LocationSpec* spec = next.find(change.name);
      location->replace(*spec, policy_for(*spec));
    }
  }
  // Keep the workspace's order: rebuild the list, creating the added locations in place.
  std::vector<std::unique_ptr<Location>> ordered;
  std::vector<Location*> added;
  for (const auto& spec : next.locations) {
    auto it = std::find_if(locations_.begin(), locations_.end(), [&](const auto& location) {
      return location && location->name() == spec.name;
    });
    if (it != locations_.end()) {
      ordered.push_back(std::move(*it));
    } else {
      ordered.push_back(make_location(spec));
      added.push_back(ordered.back().get());
    }
  }
  locations_ = std::move(ordered);
  workspace_ = std::move(next);
  for (Location* location : added)
    location->start();
  for (auto* listener : listeners_)
    listener->workspace_applied(diff);
  settle();
  return diff;
}

void Supervisor::stop_all(std::function<void()> done) {
  stopping_all_ = true;
  on_all_stopped_ = std::move(done);
  stop_helpers(HelperStop::kBeforeLocations, 0, [this] {
    stopping_locations_ = true;
    for (auto& location : locations_)
      location->stop();
    for (auto& location : removing_)
      location->stop();
    settle();
  });
}

void Supervisor::stop_helpers(HelperStop when, std::size_t from, std::function<void()> then) {
  for (std::size_t i = from; i < helpers_.size(); ++i) {
    if (helpers_[i].when != when) continue;
    helpers_[i].helpers->stop_all([this, when, i, then = std::move(then)]() mutable {
      stop_helpers(when, i + 1, std::move(then));
    });
    return;
  }
  then();
}

std::vector<const HelperProcesses*> Supervisor::helpers() const {
  std::vector<const HelperProcesses*> out;
  for (const HelperSet& set : helpers_)
    out.push_back(set.helpers);
  return out;
}

void Supervisor::kill_all_now() {
  for (auto& location : locations_)
    location->kill_now();
  for (auto& location : removing_)
    location->kill_now();
  for (const HelperSet& set : helpers_)
    set.helpers->kill_all_now();
}

void Supervisor::reap() {
  // One pass over /proc (at most) for every location's check, here and in settle().
  ProcessSignals::ScanBatch batch(signals_);
  while (std::optional<ReapedChild> reaped = signals_.reap_child()) {
    const pid_t pid = reaped->pid;
    const ExitStatus& exit = reaped->status;
    bool owned = false;
    for (auto& location : locations_) {
      if ((owned = location->on_reaped(pid, exit))) break;
    }
    for (auto& location : removing_) {
      if (!owned && (owned = location->on_reaped(pid, exit))) break;
    }
    for (const HelperSet& set : helpers_) {
      if (!owned) owned = set.helpers->on_reaped(pid, exit);
    }
    if (!owned) spdlog::debug("reaped orphan process {} ({})", pid, exit.describe());
  }
  for (auto& location : locations_)
    location->check_processes_gone();
  for (auto& location : removing_)
    location->check_processes_gone();
  settle();
}

void Supervisor::settle() {
  ProcessSignals::ScanBatch batch(signals_);
  std::erase_if(removing_, [](const std::unique_ptr<Location>& location) {
    return location->state() == LocationState::kStopped && location->all_processes_gone();
  });
  // One look per location (all_processes_gone reads /proc, once for all in this batch).
  bool any_left = !removing_.empty();    // some process of some location still exists
  bool all_stopped = removing_.empty();  // every location STOPPED with nothing left
  bool dying = false;                    // something is on its way out
  for (const auto& location : locations_) {
    bool gone = location->all_processes_gone();
    LocationState state = location->state();
    if (!gone) any_left = true;
    if (state != LocationState::kStopped || !gone) all_stopped = false;
    if ((!gone && !location->pid()) || state == LocationState::kStopping) dying = true;
  }
  if (stopping_all_ && stopping_locations_ && all_stopped && on_all_stopped_) {
    auto done = std::move(on_all_stopped_);
    on_all_stopped_ = nullptr;
    // The fork servers, once no location can need one.
    stop_helpers(HelperStop::kAfterLocations, 0, std::move(done));
    return;
  }
  // Processes that died but were not the daemon's children raise no SIGCHLD here: look again
  // shortly while something is on its way out.
  if ((dying || !removing_.empty()) && any_left && !recheck_armed_) {
    recheck_armed_ = true;
    recheck_.expires_after(kRecheckInterval);
    recheck_.async_wait([this](const boost::system::error_code& ec) {
      recheck_armed_ = false;
      if (!ec) reap();
    });
  }
}

Location* Supervisor::find(const std::string& name) {
  for (auto& location : locations_) {
    if (location->name() == name) return location.get();
  }
  return nullptr;
}

std::vector<const Location*> Supervisor::locations() const {
  std::vector<const Location*> out;
  for (const auto& location : locations_)
    out.push_back(location.get());
  return out;
}

void Supervisor::location_state_changed(const Location& location, LocationState from,
                                        LocationState to) {
  for (auto* listener : listeners_)
    listener->state_changed(location, from, to);
  // A state change may complete a shutdown or a removal; settle once the current event is done.
  boost::asio::post(io_, [this] { settle(); });
}

void Supervisor::location_output(const Location& location, const LogLine& line) {
  for (auto* listener : listeners_)
    listener->output(location, line);
}

void Supervisor::location_definitions(const Location& location, const std::string& old_version) {
  for (auto* listener : listeners_)
    listener->definitions_changed(location, old_version);
}

void Supervisor::location_reloaded(const Location& location, const ReloadReport& report) {
  for (auto* listener : listeners_)
    listener->reloaded(location, report);
}

}  // namespace codeloc::daemon
