// A LocationDriver that records what the machine asked for, and a clock tests move by hand.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/supervision/location_machine.h"

namespace codeloc::daemon::testing {

class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::time_point{} +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(now_.time_since_epoch());
  }
  void advance(milliseconds by) { now_ += by; }

 private:
  TimePoint now_{std::chrono::hours(1)};
};

class FakeLocationDriver final : public LocationDriver {
 public:
  LaunchOutcome launch() override {
    ++launches;
    return next_launch;
  }
  void terminate(int signal) override { terminations.push_back(signal); }
  void kill_all() override { ++kills; }
  void send_ping(milliseconds) override { ++pings; }
  void arm_timer(TimerKind kind, milliseconds delay) override { timers[kind] = delay; }
  void cancel_timer(TimerKind kind) override { timers.erase(kind); }
  LaunchOutcome launch_candidate() override {
    ++candidate_launches;
    return next_launch;
  }
  void promote_candidate() override {
    ++promotions;
    ++retirements;
  }
  void retire_current() override { ++retirements; }
  void discard_candidate() override { ++discards; }
  void state_changed(LocationState, LocationState to) override { states.push_back(to); }

  bool armed(TimerKind kind) const { return timers.count(kind) != 0; }
  milliseconds delay(TimerKind kind) const { return timers.at(kind); }

  LaunchOutcome next_launch;
  int launches = 0;
  int candidate_launches = 0;
  int promotions = 0;
  int retirements = 0;
  int discards = 0;
  int kills = 0;
  int pings = 0;
  std::vector<int> terminations;
  std::map<TimerKind, milliseconds> timers;
  std::vector<LocationState> states;
};

}  // namespace codeloc::daemon::testing
