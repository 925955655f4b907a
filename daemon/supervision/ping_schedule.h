// When a loaded code server is pinged next. Every location's pings fall on one grid, the steady
// clock's multiples of the ping interval, so that the daemon wakes once per interval for all its
// locations together instead of once (or twice) for each; an idle daemon with 200 locations
// otherwise wakes up 10 to 40 times a second (bench/footprint.py).
#pragma once

#include <chrono>

#include "daemon/common/clock.h"

namespace codeloc::daemon {

// The first multiple of `interval` (counted from the clock's epoch) after `now`: within one
// interval of `now`, never later, and never at `now` itself. A ping answered before the next
// grid point is therefore followed by the next one exactly one interval after it. An interval of
// zero or less gives `now`.
Clock::TimePoint next_ping_at(Clock::TimePoint now, std::chrono::milliseconds interval);

}  // namespace codeloc::daemon
