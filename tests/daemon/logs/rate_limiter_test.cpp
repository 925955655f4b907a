#include "daemon/logs/rate_limiter.h"

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

TEST(RateLimiter, AllowsABurstThenRefillsAtTheRate) {
  RateLimiter limiter(10, 3);
  Clock::TimePoint t{std::chrono::seconds(100)};
  EXPECT_TRUE(limiter.allow(t));
  EXPECT_TRUE(limiter.allow(t));
  EXPECT_TRUE(limiter.allow(t));
  EXPECT_FALSE(limiter.allow(t));
  EXPECT_FALSE(limiter.allow(t));
  EXPECT_EQ(limiter.take_refused(), 2u);
  EXPECT_EQ(limiter.take_refused(), 0u);
  t += std::chrono::milliseconds(100);  // one token at 10/s
  EXPECT_TRUE(limiter.allow(t));
  EXPECT_FALSE(limiter.allow(t));
  t += std::chrono::seconds(60);  // refills to the burst, not beyond
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(limiter.allow(t));
  EXPECT_FALSE(limiter.allow(t));
}

}  // namespace
}  // namespace codeloc::daemon
