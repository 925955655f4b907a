// A token bucket: at most `burst` events at once, refilled at `per_second`. Used so that a child
// flooding its output cannot flood the daemon's own log (its ring buffer still keeps every line).
#pragma once

#include <cstdint>

#include "daemon/common/clock.h"

namespace codeloc::daemon {

// How many output lines per second (bursts up to kChildOutputBurst) a child may put in the
// daemon's log or `codeloc dev`'s console; the rest only reach its ring buffer, and a line says
// how many were held back.
inline constexpr double kChildOutputLinesPerSecond = 200;
inline constexpr double kChildOutputBurst = 1000;

class RateLimiter {
 public:
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst), tokens_(burst) {}

  // True when the event may pass now. Counts the ones refused since the last take_refused().
  bool allow(Clock::TimePoint now);
  std::uint64_t take_refused();

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::TimePoint last_{};
  bool started_ = false;
  std::uint64_t refused_ = 0;
};

}  // namespace codeloc::daemon
