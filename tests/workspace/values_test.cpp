#include "workspace/values.h"

#include <csignal>

#include <gtest/gtest.h>

namespace codeloc::workspace {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndBareSeconds) {
  std::string error;
  EXPECT_EQ(parse_duration("100ms", &error), milliseconds(100));
  EXPECT_EQ(parse_duration("30s", &error), milliseconds(30'000));
  EXPECT_EQ(parse_duration("1.5s", &error), milliseconds(1'500));
  EXPECT_EQ(parse_duration("2m", &error), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h", &error), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("10", &error), milliseconds(10'000));
}

TEST(ParseDuration, RejectsGarbageWithTheText) {
  std::string error;
  EXPECT_EQ(parse_duration("soon", &error), std::nullopt);
  EXPECT_EQ(error, "expected a duration like 100ms, 30s or 1m, got 'soon'");
  EXPECT_EQ(parse_duration("-1s", &error), std::nullopt);
  EXPECT_EQ(parse_duration("1.2.3s", &error), std::nullopt);
  EXPECT_EQ(parse_duration("5 parsecs", &error), std::nullopt);
}

TEST(FormatDuration, RoundTripsThroughParse) {
  std::string error;
  for (long long ms : {0LL, 5LL, 100LL, 1500LL, 30'000LL, 120'000LL, 3'600'000LL}) {
    auto text = format_duration(milliseconds(ms));
    EXPECT_EQ(parse_duration(text, &error), milliseconds(ms)) << text;
  }
}

TEST(ParseSignal, AcceptsNamesShortNamesAndNumbers) {
  std::string error;
  EXPECT_EQ(parse_signal("SIGTERM", &error), SIGTERM);
  EXPECT_EQ(parse_signal("int", &error), SIGINT);
  EXPECT_EQ(parse_signal("9", &error), SIGKILL);
  EXPECT_EQ(parse_signal("SIGNOPE", &error), std::nullopt);
  EXPECT_EQ(parse_signal("0", &error), std::nullopt);
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
}

TEST(ParseRestartPolicy, AcceptsTheThreePolicies) {
  std::string error;
  EXPECT_EQ(parse_restart_policy("always", &error), RestartPolicy::kAlways);
  EXPECT_EQ(parse_restart_policy("on-failure", &error), RestartPolicy::kOnFailure);
  EXPECT_EQ(parse_restart_policy("never", &error), RestartPolicy::kNever);
  EXPECT_EQ(parse_restart_policy("sometimes", &error), std::nullopt);
  EXPECT_NE(error.find("always, on-failure, never"), std::string::npos);
}

}  // namespace
}  // namespace codeloc::workspace
