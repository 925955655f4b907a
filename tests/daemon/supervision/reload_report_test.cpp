#include "daemon/supervision/reload_report.h"

#include <gtest/gtest.h>

#include "daemon/supervision/location_watches.h"

namespace codeloc::daemon {
namespace {

using std::chrono::milliseconds;

Snapshot snapshot(const std::string& assets_json, nlohmann::json summary) {
  Snapshot s;
  s.bytes = R"({"location":"x","assets":)" + assets_json + R"(,"jobs":[]})";
  s.summary = std::move(summary);
  return s;
}

TEST(DefinitionsChange, ComparesAssetKeysAndTakesTheNewCounts) {
  Snapshot before = snapshot(R"([{"key":["a"]},{"key":["b","c"]}])", {{"assets", 2}});
  Snapshot after = snapshot(R"([{"key":["b","c"]},{"key":["d"]},{"key":["e"]}])",
                            {{"assets", 3}, {"jobs", 2}, {"schedules", 1}});
  DefinitionsChange change = compare_definitions(&before, after);
  EXPECT_TRUE(change.keys_compared);
  EXPECT_EQ(change.added_assets, (std::vector<std::string>{"d", "e"}));
  EXPECT_EQ(change.removed_assets, (std::vector<std::string>{"a"}));
  EXPECT_EQ(change.counts.assets, 3);
  EXPECT_EQ(change.counts.jobs, 2);
  EXPECT_EQ(change.counts.schedules, 1);
}

TEST(DefinitionsChange, AFirstLoadAddsEverything) {
  Snapshot after = snapshot(R"([{"key":["a"]}])", {{"assets", 1}});
  DefinitionsChange change = compare_definitions(nullptr, after);
  EXPECT_EQ(change.added_assets, (std::vector<std::string>{"a"}));
  EXPECT_TRUE(change.removed_assets.empty());
}

TEST(DefinitionsChange, HugeSnapshotsAreNotDecoded) {
  Snapshot before = snapshot("[]", {{"assets", 0}});
  Snapshot after = snapshot("[]", {{"assets", 1}});
  after.bytes.append(kMaxComparedSnapshotBytes, ' ');
  DefinitionsChange change = compare_definitions(&before, after);
  EXPECT_FALSE(change.keys_compared);
  EXPECT_EQ(change.counts.assets, 1);
}

TEST(DescribeReload, TheLogLineOfTheIssue) {
  ReloadReport report;
  report.outcome = LocationState::kLoaded;
  report.duration = milliseconds(1840);
  DefinitionsChange change;
  change.counts.assets = 14;
  change.counts.jobs = 2;
  change.counts.schedules = 1;
  change.keys_compared = true;
  change.added_assets = {"new_asset"};
  report.change = change;
  EXPECT_EQ(describe_reload("analytics", report),
            "reloaded analytics in 1.84 s: 14 assets (+1 -0), 2 jobs, 1 schedule");
  report.duration = milliseconds(42);
  report.change->counts = {1, 0, 1, 0, 2, 0};
  report.change->keys_compared = false;
  EXPECT_EQ(describe_reload("analytics", report),
            "reloaded analytics in 42 ms: 1 asset, 1 job, 2 sensors");
}

TEST(DescribeReload, SaysWhetherTheNewProcessWasForkedWarmOrStartedCold) {
  ReloadReport report;
  report.duration = milliseconds(31);
  report.change = DefinitionsChange{};
  report.change->counts.assets = 2;
  report.start_mode = "warm";
  EXPECT_EQ(describe_reload("a", report), "reloaded a in 31 ms (warm): 2 assets, 0 jobs");
  EXPECT_EQ(reload_json("a", report)["start_mode"], "warm");
  report.start_mode = "cold";
  report.outcome = LocationState::kLoadError;
  EXPECT_EQ(describe_reload("a", report), "reload of a failed to load after 31 ms (cold)");
  report.start_mode.clear();  // an attached code server: no process started
  EXPECT_TRUE(reload_json("a", report)["start_mode"].is_null());
}

TEST(DescribeReload, FailuresSayHowTheyEnded) {
  ReloadReport report;
  report.duration = milliseconds(1020);
  report.outcome = LocationState::kLoadError;
  EXPECT_EQ(describe_reload("a", report), "reload of a failed to load after 1.02 s");
  report.outcome = LocationState::kBackoff;
  EXPECT_EQ(describe_reload("a", report), "reload of a crashed after 1.02 s");
  nlohmann::json json = reload_json("a", report);
  EXPECT_EQ(json["outcome"], "BACKOFF");
  EXPECT_TRUE(json["counts"].is_null() && json["assets_added"].is_null());
}

TEST(ReloadCause, NamesTheChangedFilesRelativeToTheWorkingDirectory) {
  WatchEvent one;
  one.paths = {"/nonexistent-ws/pkg/defs.py"};
  one.total = 1;
  EXPECT_EQ(LocationWatches::describe(one, "/nonexistent-ws"), "pkg/defs.py changed");
  WatchEvent many;
  many.paths = {"/x/a.py", "/x/b.py", "/x/c.py", "/x/d.py"};
  many.total = 120;
  EXPECT_EQ(LocationWatches::describe(many, "/x"), "120 files changed: a.py, b.py, c.py, ...");
  WatchEvent overflow;
  overflow.overflow = true;
  EXPECT_NE(LocationWatches::describe(overflow, "/x").find("overflowed"), std::string::npos);
}

}  // namespace
}  // namespace codeloc::daemon
