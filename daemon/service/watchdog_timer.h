// Calls `ping` every `period` on the event loop, so that pings stop when the loop stops (a hung
// loop is what a service manager's watchdog is for). Built only when a watchdog was asked for:
// an idle daemon has no timer otherwise.
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace codeloc::daemon {

// REQUIRES: io outlives the timer; period > 0.
class WatchdogTimer {
 public:
  WatchdogTimer(boost::asio::io_context& io, std::chrono::microseconds period,
                std::function<void()> ping);
  // The first ping goes out one period after start().
  void start();

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds period_;
  std::function<void()> ping_;
};

}  // namespace codeloc::daemon
