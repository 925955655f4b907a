// The fork servers' site-packages watch: what counts as a change, the quiet period, and the
// modification-time check when inotify cannot watch.
#include "daemon/processes/fork_site_packages.h"

#include <cerrno>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/daemon/temp_folder.h"
#include "tests/ipc/test_loop.h"

namespace codeloc::daemon {
namespace {

using ipc::testing::run_until;
using std::chrono::milliseconds;
using testing::TempFolder;
using testing::write_file;

class RefusingInotify : public InotifyApi {
 public:
  int add_watch(int, const std::string&, std::uint32_t) override { return -ENOSPC; }
};

// An old modification time, so that any change made by the test gives the folder a new one
// (file times move in clock ticks: a change right after a stat may keep the same time).
void make_old(const std::filesystem::path& path) {
  timespec times[2] = {{1, 0}, {1, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST(SitePackagesWatchSpec, OnlyTheFoldersEntriesCountAndNotBytecodeCaches) {
  WatchSpec spec =
      site_packages_watch_spec({"/venv/lib/site-packages", "/usr/lib/a[1]"}, milliseconds(1000));
  ASSERT_EQ(spec.roots.size(), 2u);
  EXPECT_EQ(spec.roots[0], (WatchRoot{"/venv/lib/site-packages", true, {}, true}))
      << "the folder alone: one inotify watch, however many packages it holds";
  EXPECT_EQ(spec.debounce, milliseconds(1000)) << "the quiet period is the debounce";
  const WatchFilter& filter = spec.filter;
  EXPECT_FALSE(filter.ignored("/venv/lib/site-packages/dagster", true));
  EXPECT_FALSE(filter.ignored("/venv/lib/site-packages/dagster-1.0.dist-info", true));
  EXPECT_FALSE(filter.ignored("/venv/lib/site-packages/six.py", false));
  EXPECT_FALSE(filter.ignored("/venv/lib/site-packages/easy.pth", false));
  EXPECT_TRUE(filter.ignored("/venv/lib/site-packages/dagster/core", true));
  EXPECT_TRUE(filter.ignored("/venv/lib/site-packages/dagster/__init__.py", false));
  EXPECT_TRUE(filter.ignored("/venv/lib/site-packages/__pycache__", true));
  EXPECT_TRUE(filter.ignored("/usr/lib/a[1]/pkg/mod.py", false)) << "glob characters are literal";
  EXPECT_FALSE(filter.ignored("/usr/lib/a1/pkg/mod.py", false));
}

struct SitePackagesWatchTest : ::testing::Test {
  SitePackagesWatchTest() {
    std::filesystem::create_directories(site / "dagster");
    write_file(site / "dagster" / "__init__.py");
  }
  TempFolder folder;
  std::filesystem::path site = folder / "site-packages";
  boost::asio::io_context io;
  std::vector<std::string> warnings;
  FileWatcher::OnWarning warn() {
    return [this](const std::string& label, const std::string& message) {
      warnings.push_back(label + ": " + message);
    };
  }
};

TEST_F(SitePackagesWatchTest, AnInstallIsOneChangeOnceTheFolderIsQuiet) {
  FileWatcher watcher(io, system_inotify(), warn());
  // The spec on the watcher directly, to see which paths count.
  std::vector<WatchEvent> events;
  watcher.watch("fork server", site_packages_watch_spec({site}, milliseconds(50)),
                [&](const WatchEvent& event) { events.push_back(event); });
  write_file(site / "dagster" / "core.py");  // inside a package: not an install
  write_file(site / "dagster" / "__pycache__" / "x.pyc");
  write_file(site / "__pycache__" / "six.cpython-311.pyc");
  std::filesystem::create_directories(site / "probe-1.0.dist-info");
  write_file(site / "probe-1.0.dist-info" / "METADATA");
  write_file(site / "probe.py");
  ASSERT_TRUE(run_until(io, [&] { return !events.empty(); }));
  EXPECT_EQ(events[0].paths,
            (std::vector<std::filesystem::path>{site / "probe-1.0.dist-info", site / "probe.py"}));
  EXPECT_EQ(events.size(), 1u);
  EXPECT_TRUE(warnings.empty());
}

TEST_F(SitePackagesWatchTest, OnChangedRunsOnceAndMayDestroyTheWatch) {
  FileWatcher watcher(io, system_inotify(), warn());
  int changes = 0;
  std::optional<SitePackagesWatch> watch;
  watch.emplace(watcher, "fork server", std::vector<std::filesystem::path>{site}, milliseconds(50),
                [&] {
                  ++changes;
                  watch.reset();
                });
  EXPECT_FALSE(watch->polling());
  EXPECT_EQ(watch->changed_folder(), "") << "inotify watches: no modification-time check";
  EXPECT_EQ(watcher.inotify_watches(), 1u) << "the folder alone, not its sub-folder";
  write_file(site / "a.pth");
  write_file(site / "b.pth");
  ASSERT_TRUE(run_until(io, [&] { return changes > 0; }));
  EXPECT_EQ(changes, 1);
  EXPECT_FALSE(watch);
  EXPECT_EQ(watcher.inotify_watches(), 0u);
}

TEST_F(SitePackagesWatchTest, WithoutInotifyALaunchComparesModificationTimes) {
  RefusingInotify refusing;
  FileWatcher watcher(io, refusing, warn());
  make_old(site);
  SitePackagesWatch watch(watcher, "fork server /bin/python", {site}, milliseconds(50), [] {});
  EXPECT_TRUE(watch.polling());
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("fork server /bin/python: "), std::string::npos) << warnings[0];
  EXPECT_EQ(watch.changed_folder(), "");
  write_file(site / "dagster" / "core.py");
  EXPECT_EQ(watch.changed_folder(), "") << "inside a package: the folder's time stays";
  write_file(site / "probe.py");
  EXPECT_EQ(watch.changed_folder(), site.string());
}

}  // namespace
}  // namespace codeloc::daemon
