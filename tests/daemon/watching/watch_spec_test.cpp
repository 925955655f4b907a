#include "daemon/watching/watch_spec.h"

#include <gtest/gtest.h>

#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

using std::chrono::milliseconds;
using testing::TempFolder;
using testing::write_file;
using workspace::LocationKind;
using workspace::LocationSpec;

LocationSpec location(LocationKind kind, const std::filesystem::path& working_directory) {
  LocationSpec spec;
  spec.name = "loc";
  spec.kind = kind;
  spec.working_directory = working_directory;
  return spec;
}

WatchSpec spec_for(const LocationSpec& location) {
  return watch_spec_for(location, {}, milliseconds(100), milliseconds(1000));
}

WatchRoot folder_root(const std::filesystem::path& path) {
  return {path, true, {}};
}
WatchRoot file_root(const std::filesystem::path& path) {
  return {path, false, {}};
}

TEST(WatchSpec, PythonFileInsideTheWorkingDirectoryIsCoveredByIt) {
  LocationSpec spec = location(LocationKind::kPythonFile, "/ws");
  spec.target = "/ws/defs.py";
  WatchSpec watch = watch_spec_for(spec, {}, milliseconds(30), milliseconds(500));
  EXPECT_EQ(watch.roots, std::vector<WatchRoot>{folder_root("/ws")});
  EXPECT_EQ(watch.debounce, milliseconds(30));
  EXPECT_EQ(watch.poll_interval, milliseconds(500));
}

TEST(WatchSpec, PythonFileOutsideTheWorkingDirectoryIsAFileRoot) {
  LocationSpec spec = location(LocationKind::kPythonFile, "/ws/run");
  spec.target = "/ws/code/defs.py";
  EXPECT_EQ(spec_for(spec).roots,
            (std::vector<WatchRoot>{folder_root("/ws/run"), file_root("/ws/code/defs.py")}));
  WatchRoot root = file_root("/ws/code/defs.py");
  EXPECT_EQ(root.folder(), "/ws/code");
  EXPECT_TRUE(root.matches("/ws/code/defs.py"));
  EXPECT_FALSE(root.matches("/ws/code/other.py"));
}

TEST(WatchSpec, PythonModuleWatchesItsWorkingDirectory) {
  LocationSpec spec = location(LocationKind::kPythonModule, "/ws");
  spec.target = "my_project.definitions";
  EXPECT_EQ(spec_for(spec).roots, std::vector<WatchRoot>{folder_root("/ws")});
}

TEST(WatchSpec, CommandWatchEntriesAreFoldersFilesAndGlobs) {
  TempFolder ws;
  TempFolder shared;
  write_file(shared / "lib/util.py");
  write_file(shared / "settings.toml");
  LocationSpec spec = location(LocationKind::kCommand, ws.path());
  spec.argv = {"/bin/serve"};
  spec.watch = {(shared / "lib").string(),
                (shared / "settings.toml").string(),
                (shared / "conf/*.yaml").string(),
                (shared / "gen/v[0-9]/*.py").string(),
                (ws / "src").string(),              // covered by the working directory
                (ws / "*.json").string(),           // covered too
                (shared / "lib/util.py").string(),  // covered by the lib folder
                (shared / "missing").string()};
  EXPECT_EQ(spec_for(spec).roots, (std::vector<WatchRoot>{
                                      folder_root(ws.path()),
                                      folder_root(shared / "lib"),
                                      file_root(shared / "settings.toml"),
                                      {shared / "conf", true, (shared / "conf/*.yaml").string()},
                                      {shared / "gen", true, (shared / "gen/v[0-9]/*.py").string()},
                                      folder_root(shared / "missing"),
                                  }));
}

TEST(WatchSpec, GlobRootMatchesAcrossFolders) {
  WatchRoot root{"/ws/src", true, "/ws/src/*.py"};
  EXPECT_TRUE(root.matches("/ws/src/a.py"));
  EXPECT_TRUE(root.matches("/ws/src/pkg/b.py")) << "no FNM_PATHNAME: * crosses '/'";
  EXPECT_FALSE(root.matches("/ws/src/a.txt"));
  EXPECT_FALSE(root.matches("/ws/srcfoo/a.py"));
}

TEST(WatchSpec, LaterRootCoveringAnEarlierOneReplacesIt) {
  LocationSpec spec = location(LocationKind::kCodeServer, "");
  spec.socket = "/run/x.sock";
  spec.watch = {"/ws/a/b", "/ws/a", "/ws/a"};
  EXPECT_EQ(spec_for(spec).roots, std::vector<WatchRoot>{folder_root("/ws/a")});
}

TEST(WatchSpec, CodeServerWatchesOnlyItsWatchEntries) {
  LocationSpec spec = location(LocationKind::kCodeServer, "/ws");
  spec.socket = "/run/x.sock";
  EXPECT_TRUE(spec_for(spec).roots.empty());
  spec.watch = {"/ws/src/*.py"};
  EXPECT_EQ(spec_for(spec).roots, (std::vector<WatchRoot>{{"/ws/src", true, "/ws/src/*.py"}}));
}

TEST(WatchSpec, GrpcServerWatchesNothing) {
  LocationSpec spec = location(LocationKind::kGrpcServer, "");
  spec.port = 4000;
  spec.watch = {"/ws"};
  EXPECT_TRUE(spec_for(spec).roots.empty());
}

TEST(WatchSpec, FilterHasTheIgnoreGlobsAndExcludesTheWorkspaceFiles) {
  LocationSpec spec = location(LocationKind::kPythonModule, "/ws");
  spec.ignore = {"data/", "*.parquet"};
  WatchSpec watch =
      watch_spec_for(spec, {"/ws/workspace.yaml"}, milliseconds(100), milliseconds(1000));
  EXPECT_TRUE(watch.filter.ignored("/ws/data/x.py", false));
  EXPECT_TRUE(watch.filter.ignored("/ws/out/a.parquet", false));
  EXPECT_TRUE(watch.filter.ignored("/ws/workspace.yaml", false));
  EXPECT_TRUE(watch.filter.ignored("/ws/.git", true));
  EXPECT_FALSE(watch.filter.ignored("/ws/defs.py", false));
}

TEST(WatchSpec, EntriesOnlyRootMatchesItsOwnEntries) {
  WatchRoot root{"/venv/site", true, {}, /*entries_only=*/true};
  EXPECT_TRUE(root.matches("/venv/site/dagster-1.0.dist-info"));
  EXPECT_TRUE(root.matches("/venv/site/six.py"));
  EXPECT_FALSE(root.matches("/venv/site/dagster/core.py"));
  EXPECT_FALSE(root.matches("/venv/sitex"));
  EXPECT_FALSE(root.watches_below());
  EXPECT_TRUE(root.covered_by(WatchRoot{"/venv", true, {}}));
  EXPECT_FALSE((WatchRoot{"/venv/site/pkg", true, {}}).covered_by(root))
      << "what is below the entries is not watched";
  EXPECT_FALSE((WatchRoot{"/venv/site/six.py", false, {}}).covered_by(root));
}

}  // namespace
}  // namespace codeloc::daemon
