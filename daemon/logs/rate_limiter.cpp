#include "daemon/logs/rate_limiter.h"

#include <algorithm>

namespace codeloc::daemon {

bool RateLimiter::allow(Clock::TimePoint now) {
  if (started_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  }
  started_ = true;
  last_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  ++refused_;
  return false;
}

std::uint64_t RateLimiter::take_refused() {
  std::uint64_t refused = refused_;
  refused_ = 0;
  return refused;
}

}  // namespace codeloc::daemon
