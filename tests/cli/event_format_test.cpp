#include "cli/event_format.h"

#include <gtest/gtest.h>

namespace codeloc::cli {
namespace {

using nlohmann::json;

TEST(EventFormat, LogLinesShowTimePidStreamAndText) {
  json line = {{"seq", 41},
               {"time", "2026-11-23T20:00:01.250Z"},
               {"stream", "stderr"},
               {"pid", 4242},
               {"text", "loading..."},
               {"truncated", false}};
  EXPECT_EQ(format_log_line(line, false), "2026-11-23T20:00:01.250Z [4242] stderr: loading...");
  line["name"] = "analytics";
  line["truncated"] = true;
  EXPECT_EQ(format_log_line(line, true),
            "analytics 2026-11-23T20:00:01.250Z [4242] stderr: loading... [truncated]");
}

TEST(EventFormat, StateChangesWithPidAndError) {
  EXPECT_EQ(format_event("event.state",
                         {{"name", "analytics"},
                          {"from", "LOADED"},
                          {"to", "STOPPING"},
                          {"pid", 4242},
                          {"error", nullptr},
                          {"at", "2026-11-23T20:05:00.000Z"}},
                         TableStyle{}),
            "2026-11-23T20:05:00.000Z state analytics LOADED -> STOPPING (pid 4242)");
  EXPECT_EQ(format_event("event.state",
                         {{"name", "ml"},
                          {"from", "STARTING"},
                          {"to", "LOAD_ERROR"},
                          {"pid", nullptr},
                          {"error", {{"class_name", "ValueError"}, {"message", "bad"}}},
                          {"at", "2026-11-23T20:05:00.000Z"}},
                         TableStyle{}),
            "2026-11-23T20:05:00.000Z state ml STARTING -> LOAD_ERROR: ValueError: bad");
}

TEST(EventFormat, DefinitionsWorkspaceAndLogEvents) {
  EXPECT_EQ(format_event("event.definitions",
                         {{"name", "a"},
                          {"old_version", "sha256:9f2c1a3b4c5d6e7f"},
                          {"new_version", "sha256:77ab00112233aabb"},
                          {"at", "T"}},
                         TableStyle{}),
            "T definitions a 9f2c1a3b4c5d -> 77ab00112233");
  EXPECT_EQ(format_event("event.definitions",
                         {{"name", "a"},
                          {"old_version", nullptr},
                          {"new_version", "sha256:77ab00112233aabb"},
                          {"at", "T"}},
                         TableStyle{}),
            "T definitions a first load 77ab00112233");
  EXPECT_EQ(format_event("event.workspace",
                         {{"added", {"etl"}},
                          {"removed", json::array()},
                          {"changed", {{{"name", "analytics"}, {"fields", {"env"}}}}},
                          {"unchanged", {"reporting"}},
                          {"at", "T"}},
                         TableStyle{}),
            "T workspace added etl; removed -; changed analytics (env); unchanged reporting");
  EXPECT_EQ(format_event("event.log",
                         {{"name", "a"},
                          {"seq", 3},
                          {"time", "T"},
                          {"stream", "stdout"},
                          {"pid", 7},
                          {"text", "ready"},
                          {"truncated", false}},
                         TableStyle{}),
            "T log a [7] stdout: ready");
  EXPECT_EQ(format_event("event.future", {{"x", 1}}, TableStyle{}), "event.future {\"x\":1}");
}

TEST(EventFormat, ColourOnlyWhenAsked) {
  json params = {{"name", "a"}, {"from", "A"}, {"to", "B"}, {"at", "T"}};
  EXPECT_EQ(format_event("event.state", params, TableStyle{false}).find("\033["),
            std::string::npos);
  EXPECT_NE(format_event("event.state", params, TableStyle{true}).find("\033["), std::string::npos);
}

TEST(LogCursor, ShowsEachLineOfItsLocationOnce) {
  LogCursor cursor("analytics");
  EXPECT_TRUE(cursor.accept({{"seq", 41}, {"text", "a"}}));  // backlog entries carry no name
  EXPECT_TRUE(cursor.accept({{"seq", 42}, {"text", "b"}}));
  // The stream repeats what the backlog already showed, then goes on.
  EXPECT_FALSE(cursor.accept({{"name", "analytics"}, {"seq", 42}, {"text", "b"}}));
  EXPECT_FALSE(cursor.accept({{"name", "reporting"}, {"seq", 43}, {"text", "other"}}));
  EXPECT_TRUE(cursor.accept({{"name", "analytics"}, {"seq", 43}, {"text", "c"}}));
  EXPECT_EQ(cursor.last_seq(), 43);
}

}  // namespace
}  // namespace codeloc::cli
