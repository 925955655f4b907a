#include "cli/reload_report.h"

#include <gtest/gtest.h>

namespace codeloc::cli {
namespace {

using nlohmann::json;

TEST(ReloadReport, SaysWhetherTheDefinitionsChangedAndHowLongItTook) {
  json result = {{"name", "analytics"},
                 {"state", "LOADED"},
                 {"changed", true},
                 {"duration_ms", 2311},
                 {"error", nullptr}};
  EXPECT_EQ(render_location_reload(result), "reloaded analytics in 2.31 s: definitions changed\n");
  EXPECT_FALSE(reload_failed(result));
  result["changed"] = false;
  result["duration_ms"] = 412;
  EXPECT_EQ(render_location_reload(result),
            "reloaded analytics in 412 ms: definitions unchanged\n");
  result["state"] = "STOPPED";
  EXPECT_EQ(render_location_reload(result), "reloaded analytics in 412 ms: now STOPPED\n");
}

json load_error_with_cause() {
  return json::parse(R"json({
    "class_name":"dagster._core.errors.DagsterImportError",
    "message":"Encountered ImportError while importing module defs",
    "stack":[
      {"file":"/srv/analytics/loader.py","line":40,"function":"load","code":"module = import_module(name)"},
      {"file":"/srv/analytics/defs.py","line":3,"function":"<module>","code":null}],
    "location":{"file":"/srv/analytics/defs.py","line":3,"column":0},
    "cause":{
      "class_name":"ModuleNotFoundError",
      "message":"No module named 'pandas'",
      "stack":[{"file":"/srv/analytics/defs.py","line":3,"function":"<module>","code":"import pandas"}],
      "location":{"file":"/srv/analytics/defs.py","line":3,"column":0},
      "cause":null}})json");
}

TEST(ReloadReport, ALoadErrorShowsItsStackAndChainedCause) {
  json result = {{"name", "analytics"},
                 {"state", "LOAD_ERROR"},
                 {"changed", false},
                 {"duration_ms", 1020},
                 {"error", load_error_with_cause()}};
  EXPECT_TRUE(reload_failed(result));
  EXPECT_EQ(render_location_reload(result),
            "reload of analytics failed in 1.02 s: its code did not load\n"
            "dagster._core.errors.DagsterImportError: Encountered ImportError while importing "
            "module defs\n"
            "  /srv/analytics/loader.py:40 in load\n"
            "      module = import_module(name)\n"
            "  /srv/analytics/defs.py:3 in <module>\n"
            "caused by: ModuleNotFoundError: No module named 'pandas'\n"
            "  /srv/analytics/defs.py:3 in <module>\n"
            "      import pandas\n");
}

TEST(ReloadReport, AnErrorWithoutStackShowsWhereOrJustItsMessage) {
  EXPECT_EQ(render_load_error({{"class_name", "SyntaxError"},
                               {"message", "invalid syntax"},
                               {"stack", json::array()},
                               {"location", {{"file", "defs.py"}, {"line", 12}, {"column", 5}}}}),
            "SyntaxError: invalid syntax\n  defs.py:12\n");
  EXPECT_EQ(render_load_error({{"message", "the code server exited with code 3"}}),
            "the code server exited with code 3\n");
  EXPECT_EQ(render_load_error(nullptr), "");
}

TEST(ReloadReport, WorkspaceReloadListsEachKindOfChange) {
  json result = {{"added", {"etl"}},
                 {"removed", json::array()},
                 {"changed", {{{"name", "analytics"}, {"fields", {"env", "argv"}}}}},
                 {"unchanged", {"reporting", "ml"}}};
  EXPECT_EQ(render_workspace_reload(result),
            "added      etl\n"
            "removed    -\n"
            "changed    analytics (env, argv)\n"
            "unchanged  reporting, ml\n");
}

TEST(ReloadReport, DurationsInMillisecondsOrSeconds) {
  EXPECT_EQ(format_duration_ms(2311), "2.31 s");
  EXPECT_EQ(format_duration_ms(850), "850 ms");
}

TEST(ReloadReport, WorkspaceErrorsOneALine) {
  json data = {{"errors",
                {"workspace.yaml:12:5: unknown key 'pyton_file'",
                 "workspace.yaml:20:3: duplicate location name 'etl'"}}};
  EXPECT_EQ(render_workspace_errors(data),
            "the workspace has errors; nothing was changed\n"
            "  workspace.yaml:12:5: unknown key 'pyton_file'\n"
            "  workspace.yaml:20:3: duplicate location name 'etl'\n");
}

}  // namespace
}  // namespace codeloc::cli
