#include "daemon/watching/watch_filter.h"

#include <gtest/gtest.h>

#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

using testing::TempFolder;
using testing::write_file;

const bool kFile = false;
const bool kFolder = true;

TEST(WatchFilter, DefaultsSkipVersionControlCachesEnvironmentsAndEditorFiles) {
  WatchFilter filter({}, "/ws", {});
  EXPECT_TRUE(filter.ignored("/ws/.git", kFolder));
  EXPECT_TRUE(filter.ignored("/ws/.git/HEAD", kFile));
  EXPECT_TRUE(filter.ignored("/ws/pkg/__pycache__/x.cpython-312.pyc", kFile));
  EXPECT_TRUE(filter.ignored("/ws/pkg/x.pyc", kFile));
  EXPECT_TRUE(filter.ignored("/ws/node_modules/left-pad/index.js", kFile));
  EXPECT_TRUE(filter.ignored("/ws/.venv/lib/site.py", kFile));
  EXPECT_TRUE(filter.ignored("/ws/.tmp_dagster_home_abc123/storage", kFolder));
  EXPECT_TRUE(filter.ignored("/ws/.defs.py.swp", kFile));  // vim swap file
  EXPECT_TRUE(filter.ignored("/ws/defs.py~", kFile));      // vim backup
  EXPECT_TRUE(filter.ignored("/ws/4913", kFile));          // vim's probe file
  EXPECT_TRUE(filter.ignored("/ws/.#defs.py", kFile));     // emacs lock
  EXPECT_TRUE(filter.ignored("/ws/#defs.py#", kFile));     // emacs autosave
  EXPECT_TRUE(filter.ignored("/ws/defs.py___jb_tmp___", kFile));
  EXPECT_TRUE(filter.ignored("/ws/defs.py___jb_old___", kFile));
  EXPECT_FALSE(filter.ignored("/ws/defs.py", kFile));
  EXPECT_FALSE(filter.ignored("/ws/src/assets.py", kFile));
  EXPECT_FALSE(filter.ignored("/ws/src", kFolder));
  EXPECT_FALSE(filter.ignored("/ws/gitignore.txt", kFile));
}

TEST(WatchFilter, GlobWithoutSlashMatchesTheBasenameOrAnyParentBelowTheBase) {
  WatchFilter filter({"data", "*.csv"}, "/ws", {});
  EXPECT_TRUE(filter.ignored("/ws/data", kFolder));
  EXPECT_TRUE(filter.ignored("/ws/data/x.py", kFile));
  EXPECT_TRUE(filter.ignored("/ws/src/data/deep/y.py", kFile));
  EXPECT_TRUE(filter.ignored("/ws/out/a.csv", kFile));
  EXPECT_FALSE(filter.ignored("/ws/database.py", kFile));
  EXPECT_FALSE(filter.ignored("/ws/src/data.py", kFile));
}

TEST(WatchFilter, FoldersAtOrAboveTheBaseAreNotLookedAt) {
  WatchFilter filter({"project"}, "/home/me/venv/project", {});
  EXPECT_FALSE(filter.ignored("/home/me/venv/project/defs.py", kFile)) << "venv is above the base";
  EXPECT_TRUE(filter.ignored("/home/me/venv/project/project/x.py", kFile));
}

TEST(WatchFilter, OutsideTheBaseOnlyTheBasenameCounts) {
  WatchFilter filter({"data"}, "/ws", {});
  EXPECT_FALSE(filter.ignored("/shared/data/x.py", kFile));
  EXPECT_TRUE(filter.ignored("/shared/data", kFolder));
  EXPECT_TRUE(filter.ignored("/shared/lib/x.pyc", kFile));
  WatchFilter no_base({"data"}, "", {});
  EXPECT_TRUE(no_base.ignored("/shared/data", kFolder));
  EXPECT_FALSE(no_base.ignored("/shared/data/x.py", kFile));
}

TEST(WatchFilter, GlobWithSlashMatchesThePathRelativeToTheBase) {
  WatchFilter filter({"build/out", "src/*.json", "./gen/"}, "/ws", {});
  EXPECT_TRUE(filter.ignored("/ws/build/out", kFolder));
  EXPECT_TRUE(filter.ignored("/ws/build/out/x.py", kFile)) << "and what is below a matched folder";
  EXPECT_FALSE(filter.ignored("/ws/build/other.py", kFile));
  EXPECT_FALSE(filter.ignored("/ws/lib/build/out/x.py", kFile)) << "anchored at the base";
  EXPECT_TRUE(filter.ignored("/ws/src/a.json", kFile));
  EXPECT_FALSE(filter.ignored("/ws/src/sub/a.json", kFile)) << "* does not match '/'";
  EXPECT_TRUE(filter.ignored("/ws/gen/a.py", kFile));
  EXPECT_FALSE(filter.ignored("/elsewhere/build/out", kFolder));
}

TEST(WatchFilter, GlobStartingWithSlashMatchesTheAbsolutePath) {
  WatchFilter filter({"/data/*.parquet", "/ws/tmp"}, "/ws", {});
  EXPECT_TRUE(filter.ignored("/data/a.parquet", kFile));
  EXPECT_FALSE(filter.ignored("/data/sub/a.parquet", kFile));
  EXPECT_TRUE(filter.ignored("/ws/tmp/x.py", kFile));
  EXPECT_FALSE(filter.ignored("/ws/tmp.py", kFile));
}

TEST(WatchFilter, TrailingSlashMatchesFoldersOnly) {
  WatchFilter filter({"cache/"}, "/ws", {});
  EXPECT_TRUE(filter.ignored("/ws/cache", kFolder));
  EXPECT_TRUE(filter.ignored("/ws/cache/x.py", kFile));
  EXPECT_FALSE(filter.ignored("/ws/cache", kFile));
  EXPECT_FALSE(filter.ignored("/ws/src/cache", kFile));
}

TEST(WatchFilter, FolderHoldingPyvenvCfgIsAVirtualEnvironment) {
  TempFolder ws;
  write_file(ws / "env/pyvenv.cfg", "home = /usr/bin\n");
  std::filesystem::create_directories(ws / "plain");
  WatchFilter filter({}, ws.path(), {});
  EXPECT_TRUE(filter.ignored(ws / "env", kFolder));
  EXPECT_FALSE(filter.ignored(ws / "plain", kFolder));
  write_file(ws / "plain/pyvenv.cfg");
  EXPECT_TRUE(filter.ignored(ws / "plain", kFolder)) << "nothing is cached";
}

TEST(WatchFilter, ExcludedFilesAreIgnored) {
  WatchFilter filter({}, "/ws", {"/ws/workspace.yaml", "/ws/conf/../more.yaml"});
  EXPECT_TRUE(filter.ignored("/ws/workspace.yaml", kFile));
  EXPECT_TRUE(filter.ignored("/ws/more.yaml", kFile));
  EXPECT_FALSE(filter.ignored("/ws/other.yaml", kFile));
}

TEST(WatchFilter, DefaultConstructedSkipsTheDefaultsOnly) {
  WatchFilter filter;
  EXPECT_TRUE(filter.ignored("/ws/x.pyc", kFile));
  EXPECT_FALSE(filter.ignored("/ws/x.py", kFile));
  EXPECT_TRUE(filter.ignored("/ws/daemon.log", kFile));  // a log written into the project
  EXPECT_FALSE(filter.ignored("/ws/data/orders.csv", kFile));
}

}  // namespace
}  // namespace codeloc::daemon
