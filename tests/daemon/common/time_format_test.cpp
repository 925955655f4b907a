// iso8601: UTC, ISO 8601, milliseconds, from fixed time points.
#include "daemon/common/time_format.h"

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

std::chrono::system_clock::time_point time_format_at_ms(long long ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

TEST(TimeFormat, EpochIsMidnightOfJanuaryFirst1970) {
  EXPECT_EQ(iso8601(time_format_at_ms(0)), "1970-01-01T00:00:00.000Z");
}

TEST(TimeFormat, ProtocolExampleTime) {
  EXPECT_EQ(iso8601(time_format_at_ms(1795464001250)), "2026-11-23T20:00:01.250Z");
}

TEST(TimeFormat, MillisecondsAreZeroPaddedToThreeDigits) {
  EXPECT_EQ(iso8601(time_format_at_ms(1795464001007)), "2026-11-23T20:00:01.007Z");
  EXPECT_EQ(iso8601(time_format_at_ms(1795464001999)), "2026-11-23T20:00:01.999Z");
}

TEST(TimeFormat, SubMillisecondPrecisionIsCutNotRounded) {
  auto time = time_format_at_ms(1795464001250) + std::chrono::microseconds(999);
  EXPECT_EQ(iso8601(time), "2026-11-23T20:00:01.250Z");
}

TEST(TimeFormat, LeapDayAndYearEnd) {
  // 2024-02-29T12:34:56.789Z and 1999-12-31T23:59:59.000Z.
  EXPECT_EQ(iso8601(time_format_at_ms(1709210096789)), "2024-02-29T12:34:56.789Z");
  EXPECT_EQ(iso8601(time_format_at_ms(946684799000)), "1999-12-31T23:59:59.000Z");
}

}  // namespace
}  // namespace codeloc::daemon
