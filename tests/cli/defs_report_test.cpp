#include "cli/defs_report.h"

#include <gtest/gtest.h>

namespace codeloc::cli {
namespace {

using nlohmann::json;

// The analytics example's snapshot, cut down (docs/snapshot.md, "Example").
json analytics_result(bool stale) {
  json snapshot = json::parse(R"({
    "asset_checks":[{"asset_key":["orders_report"],"blocking":true,"description":null,"name":"not_empty"}],
    "assets":[
      {"deps":[],"group":"raw","key":["raw_orders"],"kinds":[]},
      {"deps":[["raw_customers"],["raw_orders"]],"group":"marts","key":["orders_report"],"kinds":["python"]},
      {"deps":[["raw_orders"]],"group":"marts","key":["warehouse","daily_revenue"],"kinds":["python","sql"]}],
    "dagster_version":"1.13.27",
    "jobs":[{"assets":[["daily_revenue"],["orders_report"]],"description":"Rebuild the marts.","name":"refresh_marts"}],
    "location":"analytics",
    "python":{"executable":"/venv/bin/python","version":"3.11.7"},
    "resources":[{"key":"warehouse","type":"analytics.resources.WarehouseResource"}],
    "schedules":[{"cron_schedule":"0 6 * * *","default_status":"STOPPED","execution_timezone":"UTC","job":"refresh_marts","name":"nightly"}],
    "sensors":[{"default_status":"RUNNING","minimum_interval_seconds":300,"name":"new_orders","targets":["refresh_marts"],"type":"STANDARD"}]})");
  return {{"name", "analytics"},
          {"version", "sha256:9f2c1a3b4c5d6e7f8a9b0c1d"},
          {"stale", stale},
          {"not_modified", false},
          {"definitions", snapshot}};
}

TEST(DefsReport, CountsFirstThenAssetsByGroupThenEverySection) {
  EXPECT_EQ(render_definitions(analytics_result(false), TableStyle{}),
            "analytics (version 9f2c1a3b4c5d, dagster 1.13.27, python 3.11.7)\n"
            "3 assets, 1 asset check, 1 job, 1 schedule, 1 sensor, 1 resource\n"
            "\n"
            "Assets\n"
            "  group marts\n"
            "    KEY                      DEPS                       KINDS\n"
            "    orders_report            raw_customers, raw_orders  python\n"
            "    warehouse/daily_revenue  raw_orders                 python, sql\n"
            "  group raw\n"
            "    KEY         DEPS  KINDS\n"
            "    raw_orders  -     -\n"
            "\n"
            "Asset checks\n"
            "  ASSET          NAME       BLOCKING\n"
            "  orders_report  not_empty  true\n"
            "\n"
            "Jobs\n"
            "  NAME           ASSETS  DESCRIPTION\n"
            "  refresh_marts  2       Rebuild the marts.\n"
            "\n"
            "Schedules\n"
            "  NAME     CRON       TIMEZONE  JOB            STATUS\n"
            "  nightly  0 6 * * *  UTC       refresh_marts  STOPPED\n"
            "\n"
            "Sensors\n"
            "  NAME        TYPE      TARGETS        INTERVAL  STATUS\n"
            "  new_orders  STANDARD  refresh_marts  300s      RUNNING\n"
            "\n"
            "Resources\n"
            "  KEY        TYPE\n"
            "  warehouse  analytics.resources.WarehouseResource\n");
}

TEST(DefsReport, SaysStaleWhenTheLocationIsNotLoaded) {
  std::string text = render_definitions(analytics_result(true), TableStyle{});
  EXPECT_NE(text.find("\nSTALE: the location is not loaded; these are its last good definitions\n"),
            std::string::npos);
  EXPECT_EQ(render_definitions(analytics_result(false), TableStyle{}).find("STALE"),
            std::string::npos);
}

TEST(DefsReport, ToleratesASnapshotWithOnlySomeFields) {
  json result = {{"name", "alpha"},
                 {"version", "sha256:00112233445566778899"},
                 {"stale", false},
                 {"definitions", {{"location", "alpha"}, {"assets", {{{"key", {"asset_0"}}}}}}}};
  EXPECT_EQ(render_definitions(result, TableStyle{}),
            "alpha (version 001122334455)\n"
            "1 asset, 0 asset checks, 0 jobs, 0 schedules, 0 sensors, 0 resources\n"
            "\n"
            "Assets\n"
            "  group (no group)\n"
            "    KEY      DEPS  KINDS\n"
            "    asset_0  -     -\n");
}

TEST(DefsReport, ColourOnlyWhenAsked) {
  EXPECT_EQ(render_definitions(analytics_result(true), TableStyle{false}).find("\033["),
            std::string::npos);
  EXPECT_NE(render_definitions(analytics_result(true), TableStyle{true}).find("\033[1mAssets"),
            std::string::npos);
}

TEST(DefsReport, AssetKeysAsDagsterWritesThem) {
  EXPECT_EQ(asset_key_text(json{"warehouse", "orders"}), "warehouse/orders");
  EXPECT_EQ(asset_key_text(json("plain")), "plain");
  EXPECT_EQ(asset_key_text(json()), "-");
}

}  // namespace
}  // namespace codeloc::cli
