#include "daemon/supervision/location_waiters.h"

#include <algorithm>

namespace codeloc::daemon {

LocationWaiters::LocationWaiters(boost::asio::io_context& io, Supervisor& supervisor)
    : io_(io), supervisor_(supervisor) {}

LocationWaiters::~LocationWaiters() {
  for (auto& waiter : waiters_)
    waiter.timer->cancel();
}

void LocationWaiters::wait(const std::string& name, Settled settled,
                           std::chrono::milliseconds timeout, Done done) {
  const Location* location = supervisor_.find(name);
  if (!location) {
    done(nullptr);
    return;
  }
  if (settled(*location)) {
    done(location);
    return;
  }
  waiters_.push_back(Waiter{name, std::move(settled), std::move(done),
                            std::make_unique<boost::asio::steady_timer>(io_, timeout)});
  auto it = std::prev(waiters_.end());
  it->timer->async_wait([this, timer = it->timer.get()](const boost::system::error_code& ec) {
    if (ec) return;
    auto found = std::find_if(waiters_.begin(), waiters_.end(),
                              [&](const Waiter& w) { return w.timer.get() == timer; });
    if (found != waiters_.end()) finish(found, nullptr);
  });
}

void LocationWaiters::state_changed(const Location& location, LocationState, LocationState) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    auto next = std::next(it);
    if (it->name == location.name() && it->settled(location)) finish(it, &location);
    it = next;
  }
}

void LocationWaiters::workspace_applied(const workspace::WorkspaceDiff& diff) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    auto next = std::next(it);
    if (std::find(diff.removed.begin(), diff.removed.end(), it->name) != diff.removed.end()) {
      finish(it, nullptr);
    }
    it = next;
  }
}

void LocationWaiters::finish(std::list<Waiter>::iterator it, const Location* location) {
  Waiter waiter = std::move(*it);
  waiters_.erase(it);
  waiter.timer->cancel();
  waiter.done(location);
}

}  // namespace codeloc::daemon
