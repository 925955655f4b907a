// The daemon's notion of time, behind an interface so that supervision rules are tested without
// sleeping (STYLE.md point 7). Steady time drives timeouts and backoff; wall time is only shown.
#pragma once

#include <chrono>

namespace codeloc::daemon {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace codeloc::daemon
