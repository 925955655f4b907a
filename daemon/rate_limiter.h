// A token bucket: at most `burst` events at once, refilled at `per_second`. Used so that a child
// flooding its output cannot flood the daemon's own log (its ring buffer still keeps every line).
#pragma once

#include <cstdint>

#include "daemon/clock.h"

namespace codeloc::daemon {

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
