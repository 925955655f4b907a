#include "daemon/supervision/location_watches.h"

#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "tests/daemon/temp_folder.h"
#include "tests/daemon/watching/inotify_drain.h"
#include "tests/daemon/watching/manual_time.h"

namespace codeloc::daemon {
namespace {

using std::chrono::milliseconds;
using testing::ManualTime;
using testing::TempFolder;
using testing::write_file;
using workspace::LocationKind;
using workspace::LocationSpec;

// Real time, for the kernel's events to be read; the debounce runs on fake time.
constexpr auto kWatchDeadline = std::chrono::seconds(20);
constexpr std::chrono::seconds kWatchFakeDeadline{60};
using Reload = std::pair<std::string, std::string>;  // location, cause

class FakeTarget final : public WatchTarget {
 public:
  const workspace::Workspace& workspace() const override { return applied; }
  void reload_location(const std::string& name, std::string cause) override {
    reloads.emplace_back(name, std::move(cause));
  }
  void reload_workspace(const std::vector<std::string>& files) override {
    workspace_reloads.push_back(files);
  }

  workspace::Workspace applied;
  std::vector<Reload> reloads;
  std::vector<std::vector<std::string>> workspace_reloads;
};

// The kernel's inotify, keeping the descriptor so that a test can ask what is queued on it.
class RecordingInotify final : public InotifyApi {
 public:
  int init() override {
    fd = InotifyApi::init();
    return fd;
  }
  int fd = -1;
};

LocationSpec folder_command(const std::string& name, const std::filesystem::path& folder) {
  LocationSpec spec;
  spec.name = name;
  spec.kind = LocationKind::kCommand;
  spec.argv = {"/bin/" + name};
  spec.working_directory = folder;
  return spec;
}

// The real FileWatcher on the real inotify, its debounce on fake time (as in
// file_watcher_test.cpp): a test changes files, runs the loop until the watcher has read every
// queued event, then moves fake time to the next due timer, until the callbacks it expects came.
class LocationWatchesTest : public ::testing::Test {
 protected:
  LocationWatchesTest() {
    std::filesystem::create_directories(tmp_ / "a");
    std::filesystem::create_directories(tmp_ / "b");
    write_file(tmp_ / "workspace.yaml", "load_from: []\n");
    target_.applied = {{}, {folder_command("a", tmp_ / "a"), folder_command("b", tmp_ / "b")}};
  }

  void watch() {
    LocationWatches::Options options;
    options.workspace_files = {(tmp_ / "workspace.yaml").string()};
    options.debounce = milliseconds(20);
    watches_.emplace(watcher_, target_, options);
    watches_->workspace_applied({});
  }
  void apply(workspace::Workspace next) {
    target_.applied = std::move(next);
    watches_->workspace_applied({});
  }

  // Runs the loop until the watcher has handled every event the kernel queued.
  void drain() { testing::drain_inotify(io_, api_.fd, kWatchDeadline); }
  template <class Predicate>
  bool run_until(Predicate done) {
    const auto end = time_.now() + kWatchFakeDeadline;
    for (;;) {
      drain();
      if (done()) return true;
      std::optional<Clock::TimePoint> due = time_.next_due();
      if (!due || *due > end) return false;
      time_.advance(*due - time_.now());
    }
  }
  bool run_until_reloads(std::size_t count) {
    return run_until([&] { return target_.reloads.size() >= count; });
  }

  TempFolder tmp_;
  boost::asio::io_context io_;
  RecordingInotify api_;
  ManualTime time_;
  std::vector<std::string> warnings_;
  FileWatcher watcher_{io_, api_, time_, time_,
                       [this](const std::string& label, const std::string& message) {
                         warnings_.push_back(label + ": " + message);
                       }};
  FakeTarget target_;
  std::optional<LocationWatches> watches_;
};

TEST_F(LocationWatchesTest, ChangeInALocationsFolderReloadsThatLocationOnly) {
  watch();
  write_file(tmp_ / "a" / "assets.py");
  ASSERT_TRUE(run_until_reloads(1));
  EXPECT_EQ(target_.reloads, (std::vector<Reload>{{"a", "assets.py changed"}}))
      << "the cause names the file relative to the working directory";

  write_file(tmp_ / "b" / "jobs" / "nightly.py");
  ASSERT_TRUE(run_until_reloads(2));
  EXPECT_EQ(target_.reloads[1].first, "b");
  EXPECT_TRUE(target_.workspace_reloads.empty());
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(LocationWatchesTest, RemovedLocationIsNoLongerWatched) {
  watch();
  apply({{}, {folder_command("b", tmp_ / "b")}});
  write_file(tmp_ / "a" / "assets.py");
  write_file(tmp_ / "b" / "assets.py");
  ASSERT_TRUE(run_until_reloads(1));
  EXPECT_EQ(target_.reloads, (std::vector<Reload>{{"b", "assets.py changed"}}));
}

TEST_F(LocationWatchesTest, ChangedAndAddedLocationsAreWatchedWhereTheirEntriesSay) {
  std::filesystem::create_directories(tmp_ / "c");
  std::filesystem::create_directories(tmp_ / "d");
  watch();
  apply({{},
         {folder_command("a", tmp_ / "c"), folder_command("b", tmp_ / "b"),
          folder_command("d", tmp_ / "d")}});
  write_file(tmp_ / "a" / "old.py");
  write_file(tmp_ / "c" / "new.py");
  ASSERT_TRUE(run_until_reloads(1));
  EXPECT_EQ(target_.reloads, (std::vector<Reload>{{"a", "new.py changed"}}))
      << "a's old folder is no longer watched";
  write_file(tmp_ / "d" / "added.py");
  ASSERT_TRUE(run_until_reloads(2));
  EXPECT_EQ(target_.reloads[1], (Reload{"d", "added.py changed"}));
}

TEST_F(LocationWatchesTest, WorkspaceFileChangeAppliesTheWorkspaceAgain) {
  // The workspace file is in a's folder too: it is the workspace's, not a's.
  std::filesystem::rename(tmp_ / "workspace.yaml", tmp_ / "a" / "workspace.yaml");
  LocationWatches::Options options;
  options.workspace_files = {(tmp_ / "a" / "workspace.yaml").string()};
  options.debounce = milliseconds(20);
  watches_.emplace(watcher_, target_, options);
  watches_->workspace_applied({});

  write_file(tmp_ / "a" / "workspace.yaml", "load_from: [{python_file: x.py}]\n");
  ASSERT_TRUE(run_until([&] { return !target_.workspace_reloads.empty(); }));
  EXPECT_EQ(target_.workspace_reloads,
            (std::vector<std::vector<std::string>>{{(tmp_ / "a" / "workspace.yaml").string()}}));
  // A later change of a's own files is reported alone.
  write_file(tmp_ / "a" / "assets.py");
  ASSERT_TRUE(run_until_reloads(1));
  EXPECT_EQ(target_.reloads, (std::vector<Reload>{{"a", "assets.py changed"}}));
}

TEST_F(LocationWatchesTest, NoWatchesOutliveTheObject) {
  watch();
  EXPECT_GT(watcher_.inotify_watches(), 0u);
  watches_.reset();
  EXPECT_EQ(watcher_.inotify_watches(), 0u);
}

TEST(LocationWatchesDescribe, NamesOneFileRelativeToTheBase) {
  TempFolder tmp;
  write_file(tmp / "pkg" / "assets.py");
  WatchEvent event{{tmp / "pkg" / "assets.py"}, 1, false};
  EXPECT_EQ(LocationWatches::describe(event, tmp.path()), "pkg/assets.py changed");
  EXPECT_EQ(LocationWatches::describe(event, tmp / "elsewhere"),
            (tmp / "pkg" / "assets.py").string() + " changed")
      << "outside the base: the whole path";
  EXPECT_EQ(LocationWatches::describe(event, {}),
            (tmp / "pkg" / "assets.py").string() + " changed");
}

TEST(LocationWatchesDescribe, CountsSeveralFilesAndNamesThreeAtMost) {
  TempFolder tmp;
  std::vector<std::filesystem::path> paths;
  for (const char* name : {"a.py", "b.py", "c.py", "d.py", "e.py"}) {
    write_file(tmp / name);
    paths.push_back(tmp / name);
  }
  EXPECT_EQ(LocationWatches::describe({{paths[0], paths[1], paths[2]}, 3, false}, tmp.path()),
            "3 files changed: a.py, b.py, c.py");
  EXPECT_EQ(LocationWatches::describe({paths, 5, false}, tmp.path()),
            "5 files changed: a.py, b.py, c.py, ...");
  EXPECT_EQ(LocationWatches::describe({{paths[0]}, 60, false}, tmp.path()),
            "60 files changed: a.py, ...")
      << "more changed than named";
}

TEST(LocationWatchesDescribe, LeavesOutFilesThatAreGoneUnlessAllAre) {
  TempFolder tmp;
  write_file(tmp / "assets.py");
  std::filesystem::path gone = tmp / ".assets.py.swp";
  EXPECT_EQ(LocationWatches::describe({{gone, tmp / "assets.py"}, 2, false}, tmp.path()),
            "assets.py changed")
      << "an editor's temporary file is not named";
  EXPECT_EQ(LocationWatches::describe({{tmp / "x.py", tmp / "y.py"}, 2, false}, tmp.path()),
            "2 files changed: x.py, y.py")
      << "deletions are named";
}

TEST(LocationWatchesDescribe, OverflowWithoutPathsSaysSo) {
  EXPECT_EQ(LocationWatches::describe({{}, 0, true}, "/"),
            "files changed (the kernel's event queue overflowed; reloading to be safe)");
}

}  // namespace
}  // namespace codeloc::daemon
