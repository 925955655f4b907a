#include "config/setting_values.h"

#include <gtest/gtest.h>

#include "config/nearest_name.h"

namespace codeloc::config {
namespace {

TEST(ConfigValues, ByteSizesTakeBinaryUnits) {
  std::string error;
  EXPECT_EQ(parse_byte_size("1048576", &error), 1u << 20);
  EXPECT_EQ(parse_byte_size("512B", &error), 512u);
  EXPECT_EQ(parse_byte_size("64K", &error), 64u << 10);
  EXPECT_EQ(parse_byte_size("64KiB", &error), 64u << 10);
  EXPECT_EQ(parse_byte_size("16MiB", &error), 16u << 20);
  EXPECT_EQ(parse_byte_size("16 mib", &error), 16u << 20);
  EXPECT_EQ(parse_byte_size("16M", &error), 16u << 20);
  EXPECT_EQ(parse_byte_size("1GiB", &error), 1u << 30);
}

TEST(ConfigValues, ByteSizesRefuseDecimalUnitsAndGarbage) {
  std::string error;
  EXPECT_EQ(parse_byte_size("16MB", &error), std::nullopt);
  EXPECT_EQ(error, "expected a size like 512KiB, 16MiB or 1048576, got '16MB'");
  EXPECT_EQ(parse_byte_size("", &error), std::nullopt);
  EXPECT_EQ(parse_byte_size("-1", &error), std::nullopt);
  EXPECT_EQ(parse_byte_size("1.5MiB", &error), std::nullopt);
  EXPECT_EQ(parse_byte_size("99999999999999999999G", &error), std::nullopt);
}

TEST(ConfigValues, ByteSizesFormatInTheLargestExactUnit) {
  EXPECT_EQ(format_byte_size(16u << 20), "16MiB");
  EXPECT_EQ(format_byte_size(16u << 10), "16KiB");
  EXPECT_EQ(format_byte_size(1000), "1000B");
  EXPECT_EQ(format_byte_size(0), "0B");
}

TEST(ConfigValues, FileModesAreOctal) {
  std::string error;
  EXPECT_EQ(parse_file_mode("0600", &error), 0600u);
  EXPECT_EQ(parse_file_mode("660", &error), 0660u);
  EXPECT_EQ(parse_file_mode("0o770", &error), 0770u);
  EXPECT_EQ(parse_file_mode("0680", &error), std::nullopt);
  EXPECT_EQ(error, "expected an octal file mode like 0600 or 0660, got '0680'");
  EXPECT_EQ(parse_file_mode("01777", &error), std::nullopt);
  EXPECT_EQ(format_file_mode(0660), "0660");
  EXPECT_EQ(format_file_mode(0), "0000");
}

TEST(ConfigValues, BooleansTakeTheUsualSpellings) {
  std::string error;
  for (const char* yes : {"true", "YES", "on", "1"})
    EXPECT_EQ(parse_bool(yes, &error), true) << yes;
  for (const char* no : {"false", "No", "off", "0"})
    EXPECT_EQ(parse_bool(no, &error), false) << no;
  EXPECT_EQ(parse_bool("maybe", &error), std::nullopt);
  EXPECT_EQ(error, "expected true or false, got 'maybe'");
}

TEST(ConfigValues, CountsHaveAMinimum) {
  std::string error;
  EXPECT_EQ(parse_count("3", 1, &error), 3u);
  EXPECT_EQ(parse_count("0", 1, &error), std::nullopt);
  EXPECT_EQ(error, "expected a whole number of at least 1, got '0'");
  EXPECT_EQ(parse_count("three", 0, &error), std::nullopt);
  EXPECT_EQ(error, "expected a whole number, got 'three'");
}

TEST(ConfigValues, LogFormatsAndLevels) {
  std::string error;
  EXPECT_EQ(parse_log_format("journal", &error), LogFormat::kJournal);
  EXPECT_EQ(parse_log_format("xml", &error), std::nullopt);
  EXPECT_EQ(error, "expected one of human, json, journal, got 'xml'");
  EXPECT_EQ(parse_log_level("warning", &error), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("DEBUG", &error), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("loud", &error), std::nullopt);
  EXPECT_EQ(log_level_name(spdlog::level::err), "error");
}

TEST(ConfigNearestName, SuggestsCloseNamesOnly) {
  std::vector<std::string_view> names{"stop_timeout", "startup_timeout", "socket"};
  EXPECT_EQ(nearest_name("stop_timout", names), "stop_timeout");
  EXPECT_EQ(nearest_name("sokcet", names), "socket");  // a transposition is one edit
  EXPECT_EQ(nearest_name("colour", names), std::nullopt);
  EXPECT_EQ(edit_distance("ABC", "abc"), 0u);
}

}  // namespace
}  // namespace codeloc::config
