#include "daemon/watching/tree_snapshot.h"

#include <gtest/gtest.h>

#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

using testing::TempFolder;
using testing::write_file;

using Paths = std::vector<std::filesystem::path>;

WatchSpec spec_for(const TempFolder& ws, std::vector<WatchRoot> roots) {
  WatchSpec spec;
  spec.roots = std::move(roots);
  spec.filter = WatchFilter({}, ws.path(), {});
  return spec;
}

TEST(TreeSnapshot, ReportsAddedRemovedAndChangedPaths) {
  TempFolder ws;
  write_file(ws / "keep.py", "same");
  write_file(ws / "edit.py", "one");
  write_file(ws / "gone.py");
  WatchSpec spec = spec_for(ws, {{ws.path(), true, {}}});
  TreeSnapshot before = TreeSnapshot::take(spec);
  EXPECT_EQ(before.size(), 3u);

  write_file(ws / "edit.py", "three");
  std::filesystem::remove(ws / "gone.py");
  write_file(ws / "pkg/new.py");
  EXPECT_EQ(before.changes_to(TreeSnapshot::take(spec)),
            (Paths{ws / "edit.py", ws / "gone.py", ws / "pkg", ws / "pkg/new.py"}));
}

TEST(TreeSnapshot, RenameOverChangesTheInode) {
  TempFolder ws;
  write_file(ws / "defs.py", "abc");
  WatchSpec spec = spec_for(ws, {{ws / "defs.py", false, {}}});
  TreeSnapshot before = TreeSnapshot::take(spec);
  write_file(ws / "tmp", "abc");
  std::filesystem::last_write_time(ws / "tmp", std::filesystem::last_write_time(ws / "defs.py"));
  std::filesystem::rename(ws / "tmp", ws / "defs.py");
  EXPECT_EQ(before.changes_to(TreeSnapshot::take(spec)), Paths{ws / "defs.py"});
}

TEST(TreeSnapshot, SkipsWhatTheFilterSkipsAndWhatNoRootMatches) {
  TempFolder ws;
  write_file(ws / "conf/a.yaml");
  write_file(ws / "conf/b.txt");
  write_file(ws / "conf/__pycache__/c.yaml");
  WatchSpec spec = spec_for(ws, {{ws / "conf", true, (ws / "conf/*.yaml").string()}});
  TreeSnapshot before = TreeSnapshot::take(spec);
  EXPECT_EQ(before.size(), 1u);
  write_file(ws / "conf/b.txt", "changed");
  write_file(ws / "conf/__pycache__/c.yaml", "changed");
  write_file(ws / "conf/d.yaml");
  EXPECT_EQ(before.changes_to(TreeSnapshot::take(spec)), Paths{ws / "conf/d.yaml"});
}

TEST(TreeSnapshot, FolderCountsByItsInodeNotItsModificationTime) {
  TempFolder ws;
  std::filesystem::create_directories(ws / "pkg");
  WatchSpec spec = spec_for(ws, {{ws.path(), true, {}}});
  TreeSnapshot before = TreeSnapshot::take(spec);
  write_file(ws / "pkg/x.py");
  EXPECT_EQ(before.changes_to(TreeSnapshot::take(spec)), Paths{ws / "pkg/x.py"});
}

TEST(TreeSnapshot, AnEntriesOnlyRootHoldsItsEntriesAlone) {
  TempFolder ws;
  write_file(ws / "six.py");
  write_file(ws / "pkg/mod.py");
  WatchSpec spec = spec_for(ws, {{ws.path(), true, {}, /*entries_only=*/true}});
  TreeSnapshot before = TreeSnapshot::take(spec);
  EXPECT_EQ(before.size(), 2u);  // six.py and pkg
  write_file(ws / "pkg/mod.py", "changed");
  write_file(ws / "pkg/sub/new.py");
  EXPECT_EQ(before.changes_to(TreeSnapshot::take(spec)), Paths{});
  write_file(ws / "probe.pth");
  EXPECT_EQ(before.changes_to(TreeSnapshot::take(spec)), Paths{ws / "probe.pth"});
}

}  // namespace
}  // namespace codeloc::daemon
