#include "daemon/watching/timers.h"

#include <cstdint>
#include <utility>

#include <boost/asio/steady_timer.hpp>

namespace codeloc::daemon {

namespace {

// A steady_timer whose expiry was already queued still calls its handler with success after
// expires_after(), cancel() or its own destruction: the generation and alive_ tell that handler
// it is out of date.
class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(boost::asio::io_context& io) : timer_(io) {}

  void arm(std::chrono::steady_clock::duration delay, Callback fire) override {
    std::uint64_t generation = ++generation_;
    timer_.expires_after(delay);
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_), generation,
                       fire = std::move(fire)](boost::system::error_code ec) {
      if (ec || alive.expired() || generation != generation_) return;
      ++generation_;  // fired: a cancel() or arm() from fire finds nothing of this wait
      fire();
    });
  }

  void cancel() override {
    ++generation_;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace

std::unique_ptr<Timer> AsioTimers::make_timer() {
  return std::make_unique<AsioTimer>(io_);
}

}  // namespace codeloc::daemon
