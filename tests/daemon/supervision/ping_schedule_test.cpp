#include "daemon/supervision/ping_schedule.h"

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Clock::TimePoint at(milliseconds since_epoch) {
  return Clock::TimePoint(since_epoch);
}

TEST(PingSchedule, PingsFallOnTheNextMultipleOfTheInterval) {
  EXPECT_EQ(next_ping_at(at(milliseconds(123'456)), seconds(10)), at(seconds(130)));
  EXPECT_EQ(next_ping_at(at(milliseconds(129'999)), seconds(10)), at(seconds(130)));
  // Never now itself: a ping due exactly on the grid waits a whole interval.
  EXPECT_EQ(next_ping_at(at(seconds(130)), seconds(10)), at(seconds(140)));
}

TEST(PingSchedule, LocationsLoadedAtDifferentTimesArePingedTogether) {
  auto first = next_ping_at(at(milliseconds(120'010)), seconds(10));
  auto second = next_ping_at(at(milliseconds(127'300)), seconds(10));
  EXPECT_EQ(first, second);
}

TEST(PingSchedule, AnAnsweredPingIsFollowedOneIntervalLater) {
  // Pinged at 130 s, answered 3 ms later: the next ping is at 140 s, so the pings do not drift by
  // the answer's delay.
  auto ping = at(seconds(130));
  auto answered = ping + milliseconds(3);
  EXPECT_EQ(next_ping_at(answered, seconds(10)), ping + seconds(10));
  // Timed out after a whole interval: the next ping comes one interval after the timeout.
  auto timed_out = ping + seconds(10) + milliseconds(1);
  EXPECT_EQ(next_ping_at(timed_out, seconds(10)), ping + seconds(20));
}

TEST(PingSchedule, NeverLaterThanOneIntervalFromNow) {
  for (long ms : {0L, 1L, 199L, 200L, 201L, 987'654'321L}) {
    auto now = at(milliseconds(ms));
    auto next = next_ping_at(now, milliseconds(200));
    EXPECT_GT(next, now) << ms;
    EXPECT_LE(next, now + milliseconds(200)) << ms;
  }
}

TEST(PingSchedule, AnIntervalOfZeroGivesNow) {
  EXPECT_EQ(next_ping_at(at(seconds(5)), milliseconds(0)), at(seconds(5)));
}

}  // namespace
}  // namespace codeloc::daemon
