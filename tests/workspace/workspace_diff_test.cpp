#include "workspace/workspace_diff.h"

#include <gtest/gtest.h>

#include "tests/workspace/parse_helpers.h"

namespace codeloc::workspace {
namespace {

using testing::make_spec;

Workspace workspace_of(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  ParseResult result = testing::parse_yaml(yaml, std::move(env));
  EXPECT_TRUE(result.ok());
  return Workspace{{"/ws/workspace.yaml"}, result.locations};
}

TEST(WorkspaceDiff, SortsLocationsIntoAddedRemovedChangedUnchanged) {
  Workspace before = workspace_of(R"(load_from:
  - python_module: keep
  - python_module: {module_name: edit, attribute: a}
  - python_module: gone
)");
  Workspace after = workspace_of(R"(load_from:
  - python_module: new
  - python_module: keep
  - python_module: {module_name: edit, location_name: edit, attribute: b}
)");
  // "edit:a" and "edit" are different names: Dagster's default name includes the attribute.
  WorkspaceDiff d = diff(before, after);
  EXPECT_EQ(d.added, (std::vector<std::string>{"new", "edit"}));
  EXPECT_EQ(d.removed, (std::vector<std::string>{"edit:a", "gone"}));
  EXPECT_TRUE(d.changed.empty());
  EXPECT_EQ(d.unchanged, (std::vector<std::string>{"keep"}));
  EXPECT_FALSE(d.empty());
}

TEST(WorkspaceDiff, ChangedCarriesTheFieldNames) {
  Workspace before = workspace_of(R"(load_from:
  - command:
      argv: [run, a]
      location_name: svc
      env: {A: "1"}
)");
  Workspace after = workspace_of(R"(load_from:
  - command:
      argv: [run, b]
      location_name: svc
      env: {A: "2"}
      restart: never
      backoff: {max: 1m}
)");
  WorkspaceDiff d = diff(before, after);
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].name, "svc");
  EXPECT_EQ(d.changed[0].fields, (std::set<std::string>{"argv", "env", "restart", "backoff"}));
}

TEST(WorkspaceDiff, MovingAnEntryIsNotAChange) {
  Workspace before = workspace_of("load_from:\n  - python_module: a\n  - python_module: b\n");
  Workspace after =
      workspace_of("# moved\nload_from:\n  - python_module: b\n\n  - python_module: a\n");
  after.files = {"/elsewhere/workspace.yaml"};
  WorkspaceDiff d = diff(before, after);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.unchanged, (std::vector<std::string>{"b", "a"}));
}

TEST(WorkspaceDiff, ComparesEveryField) {
  LocationSpec base = make_spec("x");
  auto changed = [&](auto edit) {
    LocationSpec other = base;
    edit(other);
    return changed_fields(base, other);
  };
  using Fields = std::set<std::string>;
  EXPECT_EQ(changed([](auto& s) { s.kind = LocationKind::kCommand; }), Fields{"kind"});
  EXPECT_EQ(changed([](auto& s) { s.target = "t"; }), Fields{"target"});
  EXPECT_EQ(changed([](auto& s) { s.attribute = "a"; }), Fields{"attribute"});
  EXPECT_EQ(changed([](auto& s) { s.working_directory = "/w"; }), Fields{"working_directory"});
  EXPECT_EQ(changed([](auto& s) { s.executable_path = "p"; }), Fields{"executable_path"});
  EXPECT_EQ(changed([](auto& s) { s.argv = {"a"}; }), Fields{"argv"});
  EXPECT_EQ(changed([](auto& s) { s.host = "h"; }), Fields{"host"});
  EXPECT_EQ(changed([](auto& s) { s.port = 1; }), Fields{"port"});
  EXPECT_EQ(changed([](auto& s) { s.socket = "/s"; }), Fields{"socket"});
  EXPECT_EQ(changed([](auto& s) { s.ssl = true; }), Fields{"ssl"});
  EXPECT_EQ(changed([](auto& s) { s.additional_metadata["k"] = "v"; }),
            Fields{"additional_metadata"});
  EXPECT_EQ(changed([](auto& s) { s.env["K"] = "v"; }), Fields{"env"});
  EXPECT_EQ(changed([](auto& s) { s.inherit_env = false; }), Fields{"inherit_env"});
  EXPECT_EQ(changed([](auto& s) { s.watch = {"w"}; }), Fields{"watch"});
  EXPECT_EQ(changed([](auto& s) { s.ignore = {"i"}; }), Fields{"ignore"});
  EXPECT_EQ(changed([](auto& s) { s.restart.policy = RestartPolicy::kNever; }), Fields{"restart"});
  EXPECT_EQ(changed([](auto& s) { s.restart.backoff_reset_after = std::chrono::seconds(1); }),
            Fields{"backoff"});
  EXPECT_EQ(changed([](auto& s) { s.restart.startup_timeout = std::chrono::seconds(1); }),
            Fields{"startup_timeout"});
  EXPECT_EQ(changed([](auto& s) { s.restart.stop_timeout = std::chrono::seconds(1); }),
            Fields{"stop_timeout"});
  EXPECT_EQ(changed([](auto& s) { s.restart.stop_signal = 2; }), Fields{"stop_signal"});
  EXPECT_EQ(changed([](auto& s) { s.origin = {"f", 9, 9}; }), Fields{});
}

}  // namespace
}  // namespace codeloc::workspace
