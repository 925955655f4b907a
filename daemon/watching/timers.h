// One-shot timers behind a narrow interface (STYLE.md point 7), so that what waits on time (the
// FileWatcher's debounce and polling) is tested by moving a fake clock instead of sleeping. The
// real implementation runs on an io_context; tests use a manual one (tests/daemon/watching/
// manual_time.h).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>

namespace codeloc::daemon {

class Timer {
 public:
  using Callback = std::function<void()>;
  // Destroying a timer cancels it.
  virtual ~Timer() = default;
  // Calls fire once, from the event loop (never inside arm), when delay has passed; a delay of
  // zero or less fires as soon as the loop runs. Arming an armed timer replaces its wait: only the
  // newest callback can run. fire may arm, cancel or destroy this timer.
  virtual void arm(std::chrono::steady_clock::duration delay, Callback fire) = 0;
  // After this returns, no callback of this timer runs until it is armed again.
  virtual void cancel() = 0;
};

class Timers {
 public:
  virtual ~Timers() = default;
  // REQUIRES: the timer does not outlive this Timers.
  virtual std::unique_ptr<Timer> make_timer() = 0;
};

// Timers over boost::asio::steady_timer. REQUIRES: io outlives this and its timers.
class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : io_(io) {}
  std::unique_ptr<Timer> make_timer() override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace codeloc::daemon
