#include "daemon/supervision/ping_schedule.h"

namespace codeloc::daemon {

Clock::TimePoint next_ping_at(Clock::TimePoint now, std::chrono::milliseconds interval) {
  auto step = std::chrono::duration_cast<Clock::TimePoint::duration>(interval);
  if (step.count() <= 0) return now;
  auto since_epoch = now.time_since_epoch();
  return Clock::TimePoint((since_epoch / step + 1) * step);
}

}  // namespace codeloc::daemon
