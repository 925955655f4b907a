#include "cli/status_report.h"

#include <gtest/gtest.h>

namespace codeloc::cli {
namespace {

using nlohmann::json;

TEST(StatusReport, AlignsColumnsAndShowsErrorsBelowTheirRow) {
  auto now = *parse_iso8601("2026-11-23T20:10:00.000Z");
  json locations =
      json::array({{{"name", "analytics"},
                    {"kind", "python_file"},
                    {"state", "LOADED"},
                    {"pid", 4242},
                    {"start_mode", "warm"},
                    {"restarts", 0},
                    {"since", "2026-11-23T20:09:30.000Z"},
                    {"definitions_version", "sha256:9f2c1a3b4c5d6e7f8a9b"},
                    {"error", nullptr}},
                   {{"name", "ml"},
                    {"kind", "python_module"},
                    {"state", "LOAD_ERROR"},
                    {"pid", nullptr},
                    {"restarts", 12},
                    {"since", "2026-11-23T17:00:00.000Z"},
                    {"definitions_version", nullptr},
                    {"error", {{"message", "ModuleNotFoundError: No module named 'torch'"}}}}});
  EXPECT_EQ(render_status_table(locations, now, TableStyle{}),
            "NAME       KIND           STATE       PID   START  RESTARTS  SINCE  VERSION\n"
            "analytics  python_file    LOADED      4242  warm   0         30s    9f2c1a3b4c5d\n"
            "ml         python_module  LOAD_ERROR  -     -      12        3h     -\n"
            "  ModuleNotFoundError: No module named 'torch'\n");
}

TEST(StatusReport, ColoursStatesOnlyWhenAsked) {
  json locations = json::array({{{"name", "a"}, {"state", "LOADED"}}});
  auto now = std::chrono::system_clock::now();
  EXPECT_EQ(render_status_table(locations, now, TableStyle{false}).find("\033["),
            std::string::npos);
  EXPECT_NE(render_status_table(locations, now, TableStyle{true}).find("\033[32mLOADED"),
            std::string::npos);
}

TEST(StatusReport, LoadErrorsShowTheirClassAndWhere) {
  json error = {{"class_name", "SyntaxError"},
                {"message", "invalid syntax"},
                {"location", {{"file", "/srv/defs.py"}, {"line", 12}, {"column", 5}}}};
  EXPECT_EQ(error_line(error), "SyntaxError: invalid syntax (/srv/defs.py:12)");
  EXPECT_EQ(error_line({{"message", "the code server exited with code 3"}}),
            "the code server exited with code 3");
  EXPECT_EQ(error_line(nullptr), "");
}

TEST(StatusReport, ParsesTheDaemonsTimestamps) {
  auto t = parse_iso8601("1970-01-01T00:01:00.250Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count(),
            60'250);
  EXPECT_FALSE(parse_iso8601("yesterday"));
}

}  // namespace
}  // namespace codeloc::cli
