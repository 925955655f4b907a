#include "daemon/watching/file_watcher.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/daemon/temp_folder.h"
#include "tests/daemon/watching/inotify_drain.h"
#include "tests/daemon/watching/manual_time.h"
#include "tests/ipc/test_loop.h"

namespace codeloc::daemon {
namespace {

using std::chrono::milliseconds;
using testing::ManualTime;
using testing::TempFolder;
using testing::write_file;

// Real time, for the kernel's events to be read; the debounce and polling run on fake time.
constexpr milliseconds kEventDeadline{10'000};
// Fake time a test may move on while it waits for a callback.
constexpr std::chrono::seconds kFakeTimeDeadline{60};

// Forwards to the kernel, but refuses add_watch with ENOSPC after `limit` successful calls, or
// init with `init_error`. Keeps the descriptor, so that a test can ask what is queued on it.
class LimitedInotify : public InotifyApi {
 public:
  int init() override {
    if (init_error) return init_error;
    fd = InotifyApi::init();
    return fd;
  }
  int add_watch(int fd, const std::string& path, std::uint32_t mask) override {
    if (added >= limit) return -ENOSPC;
    int wd = InotifyApi::add_watch(fd, path, mask);
    if (wd >= 0) ++added;
    return wd;
  }
  int limit = 1 << 30;
  int added = 0;
  int init_error = 0;
  int fd = -1;
};

// The callbacks one subscription received.
struct Calls {
  std::vector<WatchEvent> events;
  FileWatcher::OnChange recorder() {
    return [this](const WatchEvent& event) { events.push_back(event); };
  }
};

class FileWatcherTest : public ::testing::Test {
 protected:
  FileWatcherTest() { std::filesystem::create_directories(root_); }

  FileWatcher& watcher() {
    if (!watcher_)
      watcher_.emplace(io_, api_, time_, time_,
                       [this](const std::string& label, const std::string& m) {
                         warnings_.push_back(label + ": " + m);
                       });
    return *watcher_;
  }

  WatchSpec spec(std::vector<WatchRoot> roots, milliseconds debounce = milliseconds(30)) {
    WatchSpec spec;
    spec.roots = std::move(roots);
    spec.filter = WatchFilter({}, root_, {});
    spec.debounce = debounce;
    spec.poll_interval = milliseconds(50);
    return spec;
  }

  FileWatcher::Id watch_root(Calls& calls, milliseconds debounce = milliseconds(30)) {
    return watcher().watch("loc", spec({{root_, true, {}}}, debounce), calls.recorder());
  }

  // Runs the loop until the watcher has read and handled every event the kernel queued
  // (tests/daemon/watching/inotify_drain.h); no fake time passes.
  void drain() { testing::drain_inotify(io_, watcher_ ? api_.fd : -1, kEventDeadline); }

  // Reads the kernel's events, then moves fake time to the next due timer (a debounce window's
  // end, a poll), and so on, until done() holds or kFakeTimeDeadline of fake time has passed.
  bool advance_until(const std::function<bool()>& done) {
    const auto end = time_.now() + kFakeTimeDeadline;
    for (;;) {
      drain();
      if (done()) return true;
      std::optional<Clock::TimePoint> due = time_.next_due();
      if (!due || *due > end) return false;
      time_.advance(*due - time_.now());
    }
  }

  // Until `calls` has `count` callbacks.
  bool wait_for(const Calls& calls, std::size_t count) {
    return advance_until([&] { return calls.events.size() >= count; });
  }

  // Reads the kernel's events and moves fake time on by duration, for tests that show that
  // something does not happen.
  void run_for(milliseconds duration) {
    drain();
    time_.advance(duration);
    drain();
  }

  // The paths of a callback, relative to root_, sorted.
  std::vector<std::string> names(const WatchEvent& event) {
    std::vector<std::string> out;
    for (const auto& path : event.paths)
      out.push_back(path.lexically_relative(root_).string());
    std::sort(out.begin(), out.end());
    return out;
  }

  // Writes a new marker file and waits for its callback: when that callback names the marker
  // alone, every earlier change had been delivered before, in the callbacks already counted.
  void expect_marker_only(Calls& calls) {
    std::string marker = "marker" + std::to_string(++markers_) + ".txt";
    std::size_t before = calls.events.size();
    write_file(root_ / marker);
    ASSERT_TRUE(wait_for(calls, before + 1)) << "no callback for " << marker;
    EXPECT_EQ(names(calls.events[before]), std::vector<std::string>{marker});
  }

  TempFolder temp_;
  std::filesystem::path root_ = temp_ / "ws";
  boost::asio::io_context io_;
  ManualTime time_;
  LimitedInotify api_;
  std::vector<std::string> warnings_;
  std::optional<FileWatcher> watcher_;
  int markers_ = 0;
};

TEST_F(FileWatcherTest, WriteInPlaceIsOneCallback) {
  write_file(root_ / "defs.py", "a = 1\n");
  Calls calls;
  watch_root(calls);
  write_file(root_ / "defs.py", "a = 2\n");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
  EXPECT_EQ(calls.events[0].total, 1u);
  EXPECT_FALSE(calls.events[0].overflow);
  expect_marker_only(calls);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(FileWatcherTest, JetBrainsSaveByRenameIsOneCallback) {
  write_file(root_ / "defs.py", "a = 1\n");
  Calls calls;
  watch_root(calls);
  write_file(root_ / "defs.py___jb_tmp___", "a = 2\n");
  std::filesystem::rename(root_ / "defs.py", root_ / "defs.py___jb_old___");
  std::filesystem::rename(root_ / "defs.py___jb_tmp___", root_ / "defs.py");
  std::filesystem::remove(root_ / "defs.py___jb_old___");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, VimSaveWithBackupIsOneCallback) {
  write_file(root_ / "defs.py", "a = 1\n");
  write_file(root_ / ".defs.py.swp", "swap");
  Calls calls;
  watch_root(calls);
  write_file(root_ / "4913", "");  // vim checks that it may create files here
  std::filesystem::remove(root_ / "4913");
  std::filesystem::rename(root_ / "defs.py", root_ / "defs.py~");
  write_file(root_ / "defs.py", "a = 2\n");
  std::filesystem::remove(root_ / "defs.py~");
  write_file(root_ / ".defs.py.swp", "swap2");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, TempFileRenamedOverIsSeen) {
  write_file(root_ / "defs.py", "a = 1\n");
  Calls calls;
  watch_root(calls);
  write_file(root_ / ".defs.py.tmp1234", "a = 2\n");  // VS Code-like atomic save
  std::filesystem::rename(root_ / ".defs.py.tmp1234", root_ / "defs.py");
  ASSERT_TRUE(wait_for(calls, 1));
  auto seen = names(calls.events[0]);
  EXPECT_NE(std::find(seen.begin(), seen.end(), "defs.py"), seen.end());
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, DeleteAndRecreateIsOneCallback) {
  write_file(root_ / "defs.py", "a = 1\n");
  Calls calls;
  watch_root(calls);
  std::filesystem::remove(root_ / "defs.py");
  write_file(root_ / "defs.py", "a = 2\n");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, SedInPlaceIsOneCallback) {
  write_file(root_ / "pkg/defs.py", "a = 1\n");
  Calls calls;
  watch_root(calls);
  std::string command = "sed -i 's/1/2/' '" + (root_ / "pkg/defs.py").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  ASSERT_TRUE(wait_for(calls, 1));
  auto seen = names(calls.events[0]);
  EXPECT_NE(std::find(seen.begin(), seen.end(), "pkg/defs.py"), seen.end());
  for (const auto& name : seen) {  // sed's temporary file beside it, and nothing else
    EXPECT_TRUE(name == "pkg/defs.py" || name.starts_with("pkg/sed")) << name;
  }
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, GitCheckoutOfManyFilesIsOneCallback) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no git";
  std::string git = "cd '" + root_.string() +
                    "' && git -c init.defaultBranch=main -c user.name=t -c user.email=t@t "
                    "-c commit.gpgsign=false ";
  auto run = [&](const std::string& args) {
    return std::system((git + args + " >/dev/null 2>&1").c_str());
  };
  ASSERT_EQ(run("init -q ."), 0);
  for (int i = 0; i < 30; ++i)
    write_file(root_ / ("pkg/m" + std::to_string(i) + ".py"), "v = 1\n");
  ASSERT_EQ(run("add -A && " + git + "commit -qm one && " + git + "checkout -qb two"), 0);
  for (int i = 0; i < 30; ++i)
    write_file(root_ / ("pkg/m" + std::to_string(i) + ".py"), "v = 2\n");
  ASSERT_EQ(run("commit -qam two"), 0);

  Calls calls;
  watch_root(calls);
  ASSERT_EQ(run("checkout -q main"), 0);
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(calls.events[0].total, 30u);
  EXPECT_EQ(names(calls.events[0]).front(), "pkg/m0.py");
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, IgnoredPathsGiveNoCallback) {
  std::filesystem::create_directories(root_ / "pkg");
  Calls calls;
  WatchSpec watch = spec({{root_, true, {}}});
  watch.filter = WatchFilter({"*.csv", "data/"}, root_, {root_ / "workspace.yaml"});
  watcher().watch("loc", std::move(watch), calls.recorder());
  write_file(root_ / "__pycache__/x.cpython-312.pyc");
  write_file(root_ / "pkg/__pycache__/y.pyc");
  write_file(root_ / ".git/HEAD", "ref: refs/heads/main\n");
  write_file(root_ / ".x.py.swp");
  write_file(root_ / "node_modules/left-pad/index.js");
  write_file(root_ / "myenv/pyvenv.cfg", "home = /usr/bin\n");
  write_file(root_ / "myenv/lib/site.py");
  write_file(root_ / "report.csv");
  write_file(root_ / "data/raw.txt");
  write_file(root_ / "workspace.yaml");
  expect_marker_only(calls);
  ASSERT_EQ(calls.events.size(), 1u);
  EXPECT_EQ(watcher().inotify_watches(), 2u);
}

TEST_F(FileWatcherTest, IgnoredFoldersThatExistGetNoWatch) {
  write_file(root_ / ".git/objects/ab/cd");
  write_file(root_ / ".venv/lib/python3/site.py");
  write_file(root_ / "env/pyvenv.cfg");
  write_file(root_ / "env/lib/x.py");
  write_file(root_ / "src/pkg/defs.py");
  Calls calls;
  watch_root(calls);
  EXPECT_EQ(watcher().inotify_watches(), 3u);  // ws, src, src/pkg
}

TEST_F(FileWatcherTest, FolderBecomingAVirtualEnvironmentIsDropped) {
  Calls calls;
  watch_root(calls);
  std::filesystem::create_directories(root_ / "env");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"env"});
  EXPECT_EQ(watcher().inotify_watches(), 2u);
  // What `python -m venv env` does after creating the folder.
  std::filesystem::create_directories(root_ / "env/lib");
  write_file(root_ / "env/bin/python");
  write_file(root_ / "env/pyvenv.cfg", "home = /usr/bin\n");
  write_file(root_ / "env/lib/site.py");
  expect_marker_only(calls);
  EXPECT_EQ(watcher().inotify_watches(), 1u);
}

TEST_F(FileWatcherTest, BurstOfTwoHundredFilesIsOneCallback) {
  Calls calls;
  watch_root(calls);
  for (int i = 0; i < 200; ++i)
    write_file(root_ / ("gen/f" + std::to_string(i) + ".py"));
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(calls.events[0].total, 201u);  // the folder and its 200 files
  EXPECT_EQ(calls.events[0].paths.size(), WatchEvent::kMaxPaths);
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, BurstOfTwoHundredFilesInAnExistingFolderCountsTwoHundred) {
  std::filesystem::create_directories(root_ / "gen");
  Calls calls;
  watch_root(calls);
  for (int i = 0; i < 200; ++i)
    write_file(root_ / ("gen/f" + std::to_string(i) + ".py"));
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(calls.events[0].total, 200u);
  EXPECT_EQ(calls.events[0].paths.size(), 50u);
  EXPECT_EQ(calls.events[0].paths[0], root_ / "gen/f0.py") << "in the order first seen";
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, EachChangeRestartsTheDebounceWindow) {
  const milliseconds debounce(400);
  Calls calls;
  watch_root(calls, debounce);
  auto last_write = time_.now();
  for (int i = 0; i < 4; ++i) {  // 300 ms of changes, 100 ms apart: one window
    if (i > 0) run_for(milliseconds(100));
    write_file(root_ / ("f" + std::to_string(i) + ".py"));
    drain();
    last_write = time_.now();
  }
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_GE(time_.now() - last_write, debounce);
  EXPECT_EQ(names(calls.events[0]), (std::vector<std::string>{"f0.py", "f1.py", "f2.py", "f3.py"}));
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, NewSubfolderAndThenAFileInItAreSeen) {
  Calls calls;
  watch_root(calls);
  std::filesystem::create_directories(root_ / "sub");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"sub"});
  write_file(root_ / "sub/x.py");
  ASSERT_TRUE(wait_for(calls, 2));
  EXPECT_EQ(names(calls.events[1]), std::vector<std::string>{"sub/x.py"});
}

TEST_F(FileWatcherTest, FolderTreeCreatedAtOnceReportsWhatItHoldsAndIsWatched) {
  Calls calls;
  watch_root(calls);
  write_file(root_ / "a/b/x.py");  // before the watch on a can exist
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), (std::vector<std::string>{"a", "a/b", "a/b/x.py"}));
  write_file(root_ / "a/b/y.py");
  ASSERT_TRUE(wait_for(calls, 2));
  EXPECT_EQ(names(calls.events[1]), std::vector<std::string>{"a/b/y.py"});
}

TEST_F(FileWatcherTest, FolderMovedInAndMovedAroundStaysWatched) {
  write_file(temp_ / "outside/m/x.py");
  Calls calls;
  watch_root(calls);
  std::filesystem::rename(temp_ / "outside/m", root_ / "m");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), (std::vector<std::string>{"m", "m/x.py"}));
  EXPECT_EQ(watcher().inotify_watches(), 2u);

  std::filesystem::rename(root_ / "m", root_ / "n");
  ASSERT_TRUE(wait_for(calls, 2));
  EXPECT_EQ(names(calls.events[1]), (std::vector<std::string>{"m", "n", "n/x.py"}));
  EXPECT_EQ(watcher().inotify_watches(), 2u);
  write_file(root_ / "n/y.py");
  ASSERT_TRUE(wait_for(calls, 3));
  EXPECT_EQ(names(calls.events[2]), std::vector<std::string>{"n/y.py"});

  std::filesystem::rename(root_ / "n", temp_ / "outside/n");
  ASSERT_TRUE(wait_for(calls, 4));
  EXPECT_EQ(names(calls.events[3]), std::vector<std::string>{"n"});
  EXPECT_EQ(watcher().inotify_watches(), 1u);
  write_file(temp_ / "outside/n/z.py");
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, DeletedFolderReleasesItsWatch) {
  write_file(root_ / "sub/deep/x.py");
  Calls calls;
  watch_root(calls);
  EXPECT_EQ(watcher().inotify_watches(), 3u);
  std::filesystem::remove_all(root_ / "sub");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), (std::vector<std::string>{"sub", "sub/deep", "sub/deep/x.py"}));
  EXPECT_EQ(watcher().inotify_watches(), 1u);
  expect_marker_only(calls);
}

TEST_F(FileWatcherTest, RootMovedAwayIsAChangeAndReleasesItsWatches) {
  write_file(root_ / "sub/x.py");
  Calls calls;
  watch_root(calls);
  EXPECT_EQ(watcher().inotify_watches(), 2u);
  std::filesystem::rename(root_, temp_ / "moved");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(calls.events[0].paths, std::vector<std::filesystem::path>{root_});
  EXPECT_EQ(watcher().inotify_watches(), 0u);
}

TEST_F(FileWatcherTest, FileRootSeesOnlyItsFileAndItsRenameOver) {
  write_file(root_ / "defs.py");
  write_file(root_ / "sub/other.py");
  Calls calls;
  watcher().watch("loc", spec({{root_ / "defs.py", false, {}}}), calls.recorder());
  EXPECT_EQ(watcher().inotify_watches(), 1u);
  write_file(root_ / "other.py");
  write_file(root_ / "sub/other.py", "changed");
  write_file(root_ / "defs.py.new", "a = 2\n");
  std::filesystem::rename(root_ / "defs.py.new", root_ / "defs.py");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
  write_file(root_ / "defs.py", "a = 3\n");
  ASSERT_TRUE(wait_for(calls, 2));
  EXPECT_EQ(names(calls.events[1]), std::vector<std::string>{"defs.py"});
}

TEST_F(FileWatcherTest, GlobRootReportsMatchingPathsOnly) {
  write_file(root_ / "conf/a.yaml");
  Calls calls;
  watcher().watch("loc", spec({{root_ / "conf", true, (root_ / "conf/*.yaml").string()}}),
                  calls.recorder());
  write_file(root_ / "conf/readme.txt");
  write_file(root_ / "conf/a.yaml", "changed");
  write_file(root_ / "conf/nested/b.yaml");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]),
            (std::vector<std::string>{"conf/a.yaml", "conf/nested/b.yaml"}));
}

TEST_F(FileWatcherTest, TwoSubscriptionsShareAFolderAndUnwatchingOneKeepsTheOther) {
  write_file(root_ / "sub/x.py");
  Calls first, second;
  FileWatcher::Id a = watch_root(first);
  FileWatcher::Id b = watch_root(second);
  EXPECT_EQ(watcher().inotify_watches(), 2u) << "the same folders give the same watches";
  write_file(root_ / "sub/x.py", "changed");
  ASSERT_TRUE(wait_for(first, 1));
  ASSERT_TRUE(wait_for(second, 1));
  EXPECT_EQ(names(first.events[0]), std::vector<std::string>{"sub/x.py"});
  EXPECT_EQ(names(second.events[0]), std::vector<std::string>{"sub/x.py"});

  watcher().unwatch(a);
  EXPECT_EQ(watcher().inotify_watches(), 2u);
  write_file(root_ / "sub/y.py");
  ASSERT_TRUE(wait_for(second, 2));
  EXPECT_EQ(names(second.events[1]), std::vector<std::string>{"sub/y.py"});
  expect_marker_only(second);
  EXPECT_EQ(first.events.size(), 1u);

  watcher().unwatch(b);
  EXPECT_EQ(watcher().inotify_watches(), 0u);
}

TEST_F(FileWatcherTest, FolderSharedThroughASymlinkIsReportedByEachSubscriptionsOwnPath) {
  std::filesystem::create_directories(root_ / "lib");
  std::filesystem::create_directory_symlink(root_ / "lib", temp_ / "alias");
  Calls real, alias;
  watcher().watch("real", spec({{root_ / "lib", true, {}}}), real.recorder());
  watcher().watch("alias", spec({{temp_ / "alias", true, {}}}), alias.recorder());
  EXPECT_EQ(watcher().inotify_watches(), 1u);
  write_file(root_ / "lib/x.py");
  ASSERT_TRUE(wait_for(real, 1));
  ASSERT_TRUE(wait_for(alias, 1));
  EXPECT_EQ(real.events[0].paths, std::vector<std::filesystem::path>{root_ / "lib/x.py"});
  EXPECT_EQ(alias.events[0].paths, std::vector<std::filesystem::path>{temp_ / "alias/x.py"});
}

TEST_F(FileWatcherTest, UnwatchReleasesEveryWatch) {
  for (const char* folder : {"a/b/c", "a/d", "e"})
    std::filesystem::create_directories(root_ / folder);
  Calls calls;
  FileWatcher::Id id = watch_root(calls);
  EXPECT_EQ(watcher().inotify_watches(), 6u);
  EXPECT_FALSE(watcher().polling(id));
  watcher().unwatch(id);
  EXPECT_EQ(watcher().inotify_watches(), 0u);
  watcher().unwatch(id);  // unknown by now: nothing happens
}

TEST_F(FileWatcherTest, NoCallbackAfterUnwatchEvenWithAChangePending) {
  Calls slow, fast;
  FileWatcher::Id id = watch_root(slow, milliseconds(300));
  watch_root(fast, milliseconds(1));
  write_file(root_ / "x.py");
  ASSERT_TRUE(wait_for(fast, 1));  // the change was read: slow's window is open
  watcher().unwatch(id);
  run_for(milliseconds(600));
  EXPECT_TRUE(slow.events.empty());
}

TEST_F(FileWatcherTest, NoCallbackAfterTheWatcherIsDestroyed) {
  Calls slow, fast;
  watch_root(slow, milliseconds(300));
  watch_root(fast, milliseconds(1));
  write_file(root_ / "x.py");
  ASSERT_TRUE(wait_for(fast, 1));
  watcher_.reset();
  run_for(milliseconds(600));
  EXPECT_TRUE(slow.events.empty());
}

TEST_F(FileWatcherTest, CallbackMayUnwatchItself) {
  FileWatcher::Id id = 0;
  int calls = 0;
  Calls other;
  id = watcher().watch("loc", spec({{root_, true, {}}}), [&](const WatchEvent&) {
    ++calls;
    watcher().unwatch(id);
  });
  watch_root(other);
  write_file(root_ / "x.py");
  ASSERT_TRUE(wait_for(other, 1));
  // Wait for its call, then show that a later change no longer reaches it.
  ASSERT_TRUE(advance_until([&] { return calls >= 1; }));
  expect_marker_only(other);
  EXPECT_EQ(calls, 1);
}

TEST_F(FileWatcherTest, CallbackMayDestroyTheWatcher) {
  Calls calls;
  watcher().watch("loc", spec({{root_, true, {}}}), [&](const WatchEvent& event) {
    calls.events.push_back(event);
    watcher_.reset();
  });
  write_file(root_ / "x.py");
  ASSERT_TRUE(wait_for(calls, 1));
  write_file(root_ / "y.py");
  run_for(milliseconds(200));
  EXPECT_EQ(calls.events.size(), 1u);
}

TEST_F(FileWatcherTest, MissingRootIsWarnedOnceAndAMissingFileIsSeenWhenItAppears) {
  Calls calls;
  FileWatcher::Id id =
      watcher().watch("loc", spec({{temp_ / "nowhere", true, {}}, {root_ / "defs.py", false, {}}}),
                      calls.recorder());
  ASSERT_EQ(warnings_.size(), 2u);
  EXPECT_NE(warnings_[0].find((temp_ / "nowhere").string() + ": it does not exist"),
            std::string::npos)
      << warnings_[0];
  EXPECT_NE(warnings_[1].find("defs.py does not exist"), std::string::npos) << warnings_[1];
  EXPECT_FALSE(watcher().polling(id));
  write_file(root_ / "defs.py");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
  EXPECT_EQ(warnings_.size(), 2u);
}

TEST_F(FileWatcherTest, WatchLimitFallsBackToPolling) {
  for (const char* folder : {"a", "b", "c"})
    std::filesystem::create_directories(root_ / folder);
  api_.limit = 2;
  Calls calls;
  FileWatcher::Id id = watcher().watch("analytics", spec({{root_, true, {}}}), calls.recorder());
  ASSERT_EQ(warnings_.size(), 1u);
  const std::string& warning = warnings_[0];
  EXPECT_TRUE(warning.starts_with("analytics: cannot watch " + root_.string())) << warning;
  for (const char* part : {"the inotify watch limit is reached (fs.inotify.max_user_watches = ",
                           "read from /proc/sys/fs/inotify/max_user_watches",
                           "watching analytics by polling every 50ms instead",
                           "sudo sysctl fs.inotify.max_user_watches=524288", "/etc/sysctl.d/"})
    EXPECT_NE(warning.find(part), std::string::npos) << part << " in " << warning;
  EXPECT_TRUE(watcher().polling(id));
  EXPECT_EQ(watcher().inotify_watches(), 0u);

  write_file(root_ / "b/x.py");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"b/x.py"});
  write_file(root_ / "__pycache__/x.pyc");
  std::filesystem::remove(root_ / "b/x.py");
  ASSERT_TRUE(wait_for(calls, 2));
  EXPECT_EQ(names(calls.events[1]), std::vector<std::string>{"b/x.py"});
}

TEST_F(FileWatcherTest, WatchLimitForOneSubscriptionLeavesTheOthersOnInotify) {
  std::filesystem::create_directories(root_ / "a");
  Calls first, second;
  FileWatcher::Id a = watch_root(first);
  api_.limit = api_.added;  // nothing more
  std::filesystem::create_directories(temp_ / "other");
  FileWatcher::Id b =
      watcher().watch("other", spec({{temp_ / "other", true, {}}}), second.recorder());
  EXPECT_FALSE(watcher().polling(a));
  EXPECT_TRUE(watcher().polling(b));
  EXPECT_EQ(watcher().inotify_watches(), 2u);
  write_file(root_ / "a/x.py");
  write_file(temp_ / "other/y.py");
  ASSERT_TRUE(wait_for(first, 1));
  ASSERT_TRUE(wait_for(second, 1));
  EXPECT_EQ(names(first.events[0]), std::vector<std::string>{"a/x.py"});
  EXPECT_EQ(second.events[0].paths, std::vector<std::filesystem::path>{temp_ / "other/y.py"});
}

TEST_F(FileWatcherTest, NoInotifyInstanceMeansPolling) {
  api_.init_error = -EMFILE;
  Calls calls;
  FileWatcher::Id id = watch_root(calls);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("fs.inotify.max_user_instances"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find("by polling every 50ms"), std::string::npos) << warnings_[0];
  EXPECT_TRUE(watcher().polling(id));
  write_file(root_ / "defs.py");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
  watcher().unwatch(id);
  EXPECT_FALSE(watcher().polling(id));
}

TEST_F(FileWatcherTest, QueueOverflowIsReportedAndTheWatchesComeBack) {
  long max_queued = 0;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued;
  if (max_queued <= 0 || max_queued > 200'000) GTEST_SKIP() << "max_queued_events " << max_queued;
  write_file(root_ / "sub/a");
  write_file(root_ / "sub/b");
  Calls calls;
  watch_root(calls);
  // Alternating writes: the kernel merges only identical consecutive events.
  int fds[2] = {::open((root_ / "sub/a").c_str(), O_WRONLY),
                ::open((root_ / "sub/b").c_str(), O_WRONLY)};
  ASSERT_GE(fds[0], 0);
  ASSERT_GE(fds[1], 0);
  for (long i = 0; i < max_queued + 100; ++i)
    ASSERT_EQ(::write(fds[i % 2], "x", 1), 1);
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_TRUE(calls.events[0].overflow);
  EXPECT_EQ(watcher().inotify_watches(), 2u);
  write_file(root_ / "sub/after.py");
  ASSERT_TRUE(wait_for(calls, 2));
  EXPECT_FALSE(calls.events[1].overflow);
  EXPECT_EQ(names(calls.events[1]), std::vector<std::string>{"sub/after.py"});
}

// The constructor given no clock waits on the system's: real timers on io_ end the debounce
// window and run the polls. Each waits for the callback, not for a time.
TEST_F(FileWatcherTest, WithoutAClockTheDebounceRunsOnTheEventLoop) {
  FileWatcher real(io_, api_, [](const std::string&, const std::string&) {});
  Calls calls;
  real.watch("loc", spec({{root_, true, {}}}, milliseconds(1)), calls.recorder());
  write_file(root_ / "defs.py");
  ASSERT_TRUE(ipc::testing::run_until(
      io_, [&] { return !calls.events.empty(); }, kEventDeadline));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
}

TEST_F(FileWatcherTest, WithoutAClockPollingRunsOnTheEventLoop) {
  api_.init_error = -EMFILE;
  FileWatcher real(io_, api_, [](const std::string&, const std::string&) {});
  Calls calls;
  FileWatcher::Id id =
      real.watch("loc", spec({{root_, true, {}}}, milliseconds(1)), calls.recorder());
  EXPECT_TRUE(real.polling(id));
  write_file(root_ / "defs.py");
  ASSERT_TRUE(ipc::testing::run_until(
      io_, [&] { return !calls.events.empty(); }, kEventDeadline));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"defs.py"});
}

TEST_F(FileWatcherTest, EntriesOnlyRootIsOneWatchAndSeesItsEntriesAlone) {
  write_file(root_ / "pkg/old.py");
  Calls calls;
  watcher().watch("site", spec({{root_, true, {}, /*entries_only=*/true}}), calls.recorder());
  EXPECT_EQ(watcher().inotify_watches(), 1u);
  write_file(root_ / "pkg/new.py");
  run_for(milliseconds(200));
  EXPECT_TRUE(calls.events.empty()) << "below an entry: not seen";
  write_file(root_ / "probe-1.0.dist-info/METADATA");
  ASSERT_TRUE(wait_for(calls, 1));
  EXPECT_EQ(names(calls.events[0]), std::vector<std::string>{"probe-1.0.dist-info"});
  EXPECT_EQ(watcher().inotify_watches(), 1u) << "a new entry's folder gets no watch";
}

}  // namespace
}  // namespace codeloc::daemon
