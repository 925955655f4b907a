#include "daemon/service/watchdog_timer.h"

namespace codeloc::daemon {

WatchdogTimer::WatchdogTimer(boost::asio::io_context& io, std::chrono::microseconds period,
                             std::function<void()> ping)
    : timer_(io), period_(period), ping_(std::move(ping)) {}

void WatchdogTimer::start() {
  timer_.expires_after(period_);
  arm();
}

void WatchdogTimer::arm() {
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    ping_();
    // From the last deadline, so that pings do not drift later; after a stall, from now, so that
    // missed pings are not sent in a burst.
    auto next = timer_.expiry() + period_;
    auto now = boost::asio::steady_timer::clock_type::now();
    timer_.expires_at(next > now ? next : now + period_);
    arm();
  });
}

}  // namespace codeloc::daemon
