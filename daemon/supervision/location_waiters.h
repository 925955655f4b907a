// Requests that answer once a location settles (location.reload / start / stop with wait: true).
// A waiter is checked on every state change of its location and gives up at its deadline.
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/supervision/supervisor.h"

namespace codeloc::daemon {

class LocationWaiters final : public SupervisorListener {
 public:
  using Settled = std::function<bool(const Location&)>;
  // Called once: with the location when `settled` holds, with nullptr at the deadline or when
  // the location leaves the workspace.
  using Done = std::function<void(const Location*)>;

  // REQUIRES: io and supervisor outlive the waiters; register with supervisor.add_listener.
  LocationWaiters(boost::asio::io_context& io, Supervisor& supervisor);
  ~LocationWaiters() override;

  // Checks at once, then on every state change of `name`.
  void wait(const std::string& name, Settled settled, std::chrono::milliseconds timeout, Done done);

  void state_changed(const Location& location, LocationState from, LocationState to) override;
  void workspace_applied(const workspace::WorkspaceDiff& diff) override;

 private:
  struct Waiter {
    std::string name;
    Settled settled;
    Done done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  void finish(std::list<Waiter>::iterator it, const Location* location);

  boost::asio::io_context& io_;
  Supervisor& supervisor_;
  std::list<Waiter> waiters_;
};

}  // namespace codeloc::daemon
