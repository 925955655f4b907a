// A clock and timers that tests move by hand: advance() fires the timers due on the way, each at
// its own due time, so that a debounce window or a poll interval passes without waiting.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "daemon/common/clock.h"
#include "daemon/watching/timers.h"

namespace codeloc::daemon::testing {

// REQUIRES: outlives the timers it makes.
class ManualTime final : public Clock, public Timers {
 public:
  ManualTime() = default;
  ManualTime(const ManualTime&) = delete;
  ManualTime& operator=(const ManualTime&) = delete;

  TimePoint now() const override { return now_; }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::time_point{} +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(now_.time_since_epoch());
  }
  std::unique_ptr<Timer> make_timer() override { return std::make_unique<ManualTimer>(*this); }

  // Moves the clock by `by`. Each timer due by then fires at its due time, earliest first (in
  // arming order when equal), also those armed by a callback on the way.
  void advance(std::chrono::steady_clock::duration by) {
    const TimePoint end = now_ + by;
    while (ManualTimer* timer = next(end)) {
      now_ = std::max(now_, timer->due_);
      timer->armed_ = false;
      Timer::Callback fire = std::move(timer->fire_);
      fire();  // may arm, cancel or destroy any timer, this one included
    }
    now_ = end;
  }

  // When the earliest armed timer is due; nullopt when none is armed.
  std::optional<TimePoint> next_due() const {
    std::optional<TimePoint> due;
    for (const ManualTimer* timer : timers_) {
      if (timer->armed_ && (!due || timer->due_ < *due)) due = timer->due_;
    }
    return due;
  }

 private:
  class ManualTimer final : public Timer {
   public:
    explicit ManualTimer(ManualTime& time) : time_(time) { time_.timers_.push_back(this); }
    ~ManualTimer() override { std::erase(time_.timers_, this); }
    void arm(std::chrono::steady_clock::duration delay, Callback fire) override {
      due_ = time_.now_ + std::max(delay, std::chrono::steady_clock::duration::zero());
      order_ = ++time_.armed_count_;
      fire_ = std::move(fire);
      armed_ = true;
    }
    void cancel() override {
      armed_ = false;
      fire_ = nullptr;
    }

    ManualTime& time_;
    bool armed_ = false;
    TimePoint due_;
    std::uint64_t order_ = 0;
    Callback fire_;
  };

  ManualTimer* next(TimePoint end) const {
    ManualTimer* best = nullptr;
    for (ManualTimer* timer : timers_) {
      if (!timer->armed_ || timer->due_ > end) continue;
      if (!best || std::pair(timer->due_, timer->order_) < std::pair(best->due_, best->order_))
        best = timer;
    }
    return best;
  }

  TimePoint now_{std::chrono::hours(1)};
  std::vector<ManualTimer*> timers_;
  std::uint64_t armed_count_ = 0;
};

}  // namespace codeloc::daemon::testing
