// The fork server pool's decisions, with a cold launcher that records what it is asked to start.
// The fork server's process is stood in for by `sleep`; its socket, when a test gets it ready, by
// a FakeForkServer the test scripts. The real thing is exercised by
// tests/integration/test_warm.py.
#include "daemon/processes/fork_server_pool.h"

#include <boost/asio/steady_timer.hpp>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/daemon/processes/fake_fork_server.h"
#include "tests/daemon/temp_folder.h"
#include "tests/ipc/test_loop.h"

namespace codeloc::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordingLauncher final : public ProcessLauncher {
 public:
  // Fork servers become `sleep 60` (a real child the test reaps); locations are not started.
  LaunchResult launch(const LaunchSpec& spec) override {
    launched.push_back(spec);
    bool fork_server = spec.argv.size() > 2 && spec.argv[2] == "--fork-server";
    if (!fork_server) return LaunchResult{};
    LaunchSpec sleeper = spec;
    sleeper.argv = {"/bin/sleep", "60"};
    LaunchResult result = real.launch(sleeper);
    servers.push_back(result.child.pid);
    channels.emplace_back(::fcntl(spec.channel_fd, F_DUPFD_CLOEXEC, 0));
    return result;
  }
  std::vector<LaunchSpec> launched;
  std::vector<pid_t> servers;
  std::vector<UniqueFd> channels;  // each fork server's end of its socket, for a FakeForkServer
  ForkExecLauncher real;
};

LaunchSpec python_location(bool warm) {
  LaunchSpec spec;
  spec.argv = {"/bin/sh", "/opt/codeloc_server", "--location", "a", "--module", "m"};
  // The test's own environment, as a location inheriting it has: its start-up variables
  // (PYTHON*, LD_*) are then the fork server's.
  for (char** entry = environ; entry && *entry; ++entry)
    spec.env.emplace_back(*entry);
  spec.env.push_back("CODELOC_LOCATION=a");
  spec.warm = warm;
  return spec;
}

ExitStatus reap(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return {WIFSIGNALED(status), WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)};
}

struct PoolTest : ::testing::Test {
  PoolTest() {
    options.code_server = "/opt/codeloc_server";
    options.preload = {"dagster", "pandas"};
  }
  boost::asio::io_context io;
  RecordingLauncher cold;
  ForkServerOptions options;
};

TEST_F(PoolTest, ALocationWhoseStartupVariablesDifferStartsColdWithoutAForkServer) {
  ForkServerPool pool(io, cold, options);
  LaunchSpec spec = python_location(true);
  spec.env.push_back("PYTHONOPTIMIZE=2");
  LaunchResult result = pool.launch(spec);
  EXPECT_FALSE(result.warm);
  EXPECT_EQ(result.cold_reason,
            "the location's PYTHONOPTIMIZE differs from the warm interpreter's");
  EXPECT_TRUE(cold.servers.empty());
  EXPECT_TRUE(pool.info().empty());
}

TEST_F(PoolTest, ColdSpecsGoStraightToTheColdLauncher) {
  ForkServerPool pool(io, cold, options);
  LaunchResult result = pool.launch(python_location(false));
  EXPECT_FALSE(result.warm);
  EXPECT_EQ(result.cold_reason, "");
  ASSERT_EQ(cold.launched.size(), 1u);
  EXPECT_EQ(cold.launched[0].argv[0], "/bin/sh");
  EXPECT_TRUE(pool.info().empty()) << "no fork server for a cold launch";
}

TEST_F(PoolTest, TheFirstWarmLaunchStartsTheForkServerAndIsColdMeanwhile) {
  pid_t server_pid;
  {
    ForkServerPool pool(io, cold, options);
    LaunchResult result = pool.launch(python_location(true));
    EXPECT_FALSE(result.warm);
    EXPECT_EQ(result.cold_reason, "the fork server is starting");
    ASSERT_EQ(cold.launched.size(), 2u);
    EXPECT_THAT(cold.launched[0].argv, ElementsAre("/bin/sh", "/opt/codeloc_server",
                                                   "--fork-server", "--preload", "dagster,pandas"));
    EXPECT_THAT(cold.launched[0].env, ::testing::Contains("PYTHONUNBUFFERED=1"));
    EXPECT_GE(cold.launched[0].channel_fd, 0);
    ASSERT_EQ(cold.servers.size(), 1u);
    server_pid = cold.servers[0];
    nlohmann::json info = pool.info();
    ASSERT_EQ(info.size(), 1u);
    EXPECT_EQ(info[0]["python"], "/bin/sh");
    EXPECT_EQ(info[0]["state"], "starting");
    EXPECT_EQ(info[0]["pid"], server_pid);

    // A second location of the same interpreter shares it.
    pool.launch(python_location(true));
    EXPECT_EQ(cold.servers.size(), 1u);
  }
  // The pool's destructor kills what it started.
  EXPECT_EQ(reap(server_pid), (ExitStatus{true, SIGKILL}));
}

TEST_F(PoolTest, FirstStartsWaitForTheWarmUpButNotForARestartAfterAFailure) {
  ForkServerPool pool(io, cold, options);
  int released = 0;
  EXPECT_FALSE(pool.wait_until_warm(python_location(false), [&] { ++released; }));
  EXPECT_TRUE(cold.servers.empty()) << "a cold spec starts no fork server";
  EXPECT_TRUE(pool.wait_until_warm(python_location(true), [&] { ++released; }));
  EXPECT_TRUE(pool.wait_until_warm(python_location(true), [&] { ++released; }));
  ASSERT_EQ(cold.servers.size(), 1u);
  LaunchSpec differs = python_location(true);
  differs.env.push_back("PYTHONHASHSEED=7");
  EXPECT_FALSE(pool.wait_until_warm(differs, [&] { ++released; }))
      << "a start that cannot be forked does not wait";

  pid_t server_pid = cold.servers[0];
  ::kill(server_pid, SIGKILL);
  EXPECT_TRUE(pool.on_reaped(server_pid, reap(server_pid)));
  EXPECT_EQ(released, 0) << "released from the event loop, not from inside on_reaped";
  io.poll();
  EXPECT_EQ(released, 2) << "a failed warm-up releases its waiters (they start cold)";
  EXPECT_FALSE(pool.wait_until_warm(python_location(true), [&] { ++released; }))
      << "no waiting for a fork server that failed";
}

TEST_F(PoolTest, AForkServerThatDiesIsRestartedLaterAndLaunchesAreColdMeanwhile) {
  options.backoff_initial = std::chrono::milliseconds(50);
  ForkServerPool pool(io, cold, options);
  pool.launch(python_location(true));
  ASSERT_EQ(cold.servers.size(), 1u);
  pid_t server_pid = cold.servers[0];
  ::kill(server_pid, SIGKILL);
  ExitStatus status = reap(server_pid);
  EXPECT_TRUE(pool.on_reaped(server_pid, status));
  EXPECT_FALSE(pool.on_reaped(server_pid + 100000, status)) << "not one of the pool's";

  nlohmann::json info = pool.info()[0];
  EXPECT_EQ(info["state"], "backoff");
  EXPECT_TRUE(info["pid"].is_null());
  EXPECT_EQ(info["error"], "it exited (killed by SIGKILL)");
  LaunchResult result = pool.launch(python_location(true));
  EXPECT_FALSE(result.warm);
  EXPECT_THAT(result.cold_reason,
              HasSubstr("the fork server is restarting after: it exited (killed by SIGKILL)"));

  // After the backoff delay a new one starts.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (cold.servers.size() < 2 && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(100));
  ASSERT_EQ(cold.servers.size(), 2u);
  EXPECT_EQ(pool.info()[0]["state"], "starting");
  EXPECT_EQ(pool.info()[0]["restarts"], 1);

  bool stopped = false;
  pool.stop_all([&] { stopped = true; });
  ExitStatus stop_status = reap(cold.servers[1]);
  EXPECT_EQ(stop_status, (ExitStatus{true, SIGTERM})) << "stopped with SIGTERM";
  EXPECT_FALSE(stopped) << "not before it was reaped";
  EXPECT_TRUE(pool.on_reaped(cold.servers[1], stop_status));
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!stopped && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(stopped);
}

// A pool whose fork server answers through the test: make_ready() starts it and sends its ready
// packet; the launches carry a real channel descriptor.
struct WarmPoolTest : PoolTest {
  WarmPoolTest() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    channel_read = UniqueFd(fds[0]);
    channel = UniqueFd(fds[1]);
  }
  ~WarmPoolTest() override {
    for (pid_t pid : cold.servers) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  LaunchSpec location() {
    LaunchSpec spec = python_location(true);
    spec.channel_fd = channel.get();
    return spec;
  }
  // Starts the pool's fork server for location() and says it is ready, with these site-packages.
  void make_ready(ForkServerPool& pool,
                  const nlohmann::json& site_packages = nlohmann::json::array()) {
    std::size_t started = cold.servers.size();
    pool.launch(location());
    ASSERT_EQ(cold.servers.size(), started + 1);
    fake.emplace(std::move(cold.channels.back()));
    ASSERT_TRUE(fake->send(nlohmann::json{{"ready", true},
                                          {"pid", cold.servers.back()},
                                          {"preloaded", {"dagster"}},
                                          {"threads", 1},
                                          {"site_packages", site_packages}}));
    ASSERT_TRUE(ipc::testing::run_until(io, [&] { return pool.info()[0]["state"] == "ready"; }));
  }
  // Runs the loop until the launch is done.
  bool wait(const std::optional<LaunchResult>& result) {
    return ipc::testing::run_until(io, [&] { return result.has_value(); });
  }
  std::function<void(LaunchResult)> into(std::optional<LaunchResult>& result) {
    return [&result](LaunchResult r) { result = std::move(r); };
  }
  std::optional<testing::FakeForkServer> fake;
  UniqueFd channel_read, channel;
};

TEST_F(WarmPoolTest, AnAsyncLaunchIsAnsweredFromTheLoopWhichRunsOnMeanwhile) {
  ForkServerPool pool(io, cold, options);
  make_ready(pool);
  std::size_t cold_launches = cold.launched.size();
  std::optional<LaunchResult> result;
  pool.launch_async(location(), into(result));
  EXPECT_FALSE(result) << "the fork server has not answered";

  bool ticked = false;
  boost::asio::steady_timer tick(io, std::chrono::milliseconds(1));
  tick.async_wait([&](const boost::system::error_code&) { ticked = true; });
  ASSERT_TRUE(ipc::testing::run_until(io, [&] { return ticked; }));
  EXPECT_FALSE(result) << "another handler ran while the fork answer is pending";

  std::optional<testing::ReceivedRequest> request = fake->receive();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->packet["argv"][0], "/opt/codeloc_server");
  ASSERT_TRUE(fake->answer(*request, 4242));
  ASSERT_TRUE(wait(result));
  EXPECT_TRUE(result->warm);
  EXPECT_EQ(result->child.pid, 4242);
  EXPECT_EQ(result->cold_reason, "");
  EXPECT_TRUE(result->child.stdout_fd);
  EXPECT_EQ(cold.launched.size(), cold_launches) << "nothing cold";
  EXPECT_EQ(pool.info()[0]["forks"], 1);
}

TEST_F(WarmPoolTest, TheSynchronousLaunchStillForks) {
  ForkServerPool pool(io, cold, options);
  make_ready(pool);
  ASSERT_TRUE(fake->send(nlohmann::json{{"id", 1}, {"pid", 77}})) << "read after the request";
  LaunchResult result = pool.launch(location());
  EXPECT_TRUE(result.warm);
  EXPECT_EQ(result.child.pid, 77);
}

TEST_F(WarmPoolTest, NoAnswerInTimeRestartsTheForkServerAndTheLaunchGoesCold) {
  options.request_timeout = std::chrono::milliseconds(50);
  options.backoff_initial = std::chrono::seconds(30);
  ForkServerPool pool(io, cold, options);
  make_ready(pool);
  std::optional<LaunchResult> result;
  pool.launch_async(location(), into(result));
  ASSERT_TRUE(fake->receive());
  ASSERT_TRUE(wait(result));
  EXPECT_FALSE(result->warm);
  EXPECT_EQ(result->cold_reason, "the fork failed: no answer within 50 ms");
  EXPECT_EQ(cold.launched.back().argv, location().argv) << "launched cold";
  nlohmann::json info = pool.info()[0];
  EXPECT_EQ(info["state"], "backoff");
  EXPECT_EQ(info["error"], "no answer within 50 ms");
  EXPECT_EQ(reap(cold.servers[0]), (ExitStatus{true, SIGTERM})) << "the hung one is stopped";
}

TEST_F(WarmPoolTest, OverlappingLaunchesAreQueuedAndEachIsAnswered) {
  ForkServerPool pool(io, cold, options);
  make_ready(pool);
  std::optional<LaunchResult> first, second;
  pool.launch_async(location(), into(first));
  pool.launch_async(location(), into(second));
  std::optional<testing::ReceivedRequest> request = fake->receive();
  ASSERT_TRUE(request);
  EXPECT_FALSE(fake->readable()) << "one request in flight at a time";
  ASSERT_TRUE(fake->answer(*request, 501));
  ASSERT_TRUE(wait(first));
  request = fake->receive();
  ASSERT_TRUE(request);
  ASSERT_TRUE(fake->answer(*request, 502));
  ASSERT_TRUE(wait(second));
  EXPECT_EQ(first->child.pid, 501);
  EXPECT_EQ(second->child.pid, 502);
  EXPECT_TRUE(second->warm);
}

TEST_F(WarmPoolTest, AnErrorAnswerGoesColdAndTheLaunchQueuedBehindIsDecidedAgain) {
  options.backoff_initial = std::chrono::seconds(30);
  ForkServerPool pool(io, cold, options);
  make_ready(pool);
  std::optional<LaunchResult> first, second;
  pool.launch_async(location(), into(first));
  pool.launch_async(location(), into(second));
  std::optional<testing::ReceivedRequest> request = fake->receive();
  ASSERT_TRUE(request);
  ASSERT_TRUE(fake->send(nlohmann::json{{"id", request->packet["id"]}, {"error", "boom"}}));
  ASSERT_TRUE(wait(first));
  ASSERT_TRUE(wait(second));
  EXPECT_EQ(first->cold_reason, "the fork failed: boom");
  EXPECT_EQ(second->cold_reason, "the fork server is restarting after: boom");
  EXPECT_EQ(pool.info()[0]["state"], "backoff");
}

TEST_F(WarmPoolTest, AnUnsafeAnswerTurnsWarmStartsOff) {
  ForkServerPool pool(io, cold, options);
  make_ready(pool);
  std::optional<LaunchResult> result;
  pool.launch_async(location(), into(result));
  std::optional<testing::ReceivedRequest> request = fake->receive();
  ASSERT_TRUE(request);
  ASSERT_TRUE(fake->send(nlohmann::json{
      {"id", request->packet["id"]}, {"error", "it has 2 threads"}, {"unsafe", true}}));
  ASSERT_TRUE(wait(result));
  EXPECT_EQ(result->cold_reason, "the fork failed: it has 2 threads");
  EXPECT_EQ(pool.info()[0]["state"], "disabled");
}

TEST_F(WarmPoolTest, StopAllSettlesAPendingLaunchCold) {
  ForkServerPool pool(io, cold, options);
  make_ready(pool);
  std::optional<LaunchResult> result;
  pool.launch_async(location(), into(result));
  ASSERT_TRUE(fake->receive());
  pool.stop_all([] {});
  ASSERT_TRUE(wait(result));
  EXPECT_FALSE(result->warm);
  EXPECT_EQ(result->cold_reason, "the daemon is stopping");
}

TEST_F(WarmPoolTest, ADestroyedPoolRunsNoPendingCompletion) {
  std::optional<LaunchResult> result;
  {
    ForkServerPool pool(io, cold, options);
    make_ready(pool);
    pool.launch_async(location(), into(result));
    std::optional<testing::ReceivedRequest> request = fake->receive();
    ASSERT_TRUE(request);
    ASSERT_TRUE(fake->answer(*request, 9));
  }
  io.poll();
  EXPECT_FALSE(result);
}

TEST_F(WarmPoolTest, AnInstallInSitePackagesRecyclesTheForkServer) {
  testing::TempFolder folder;
  std::filesystem::create_directories(folder / "site-packages");
  options.recycle_quiet = std::chrono::milliseconds(50);
  ForkServerPool pool(io, cold, options);
  make_ready(pool, {(folder / "site-packages").string()});
  testing::write_file(folder / "site-packages" / "__pycache__" / "x.pyc");
  testing::write_file(folder / "site-packages" / "probe.py");
  ASSERT_TRUE(ipc::testing::run_until(io, [&] { return cold.servers.size() == 2; }));
  EXPECT_EQ(pool.info()[0]["state"], "starting");
  EXPECT_EQ(pool.info()[0]["restarts"], 1);
}

}  // namespace
}  // namespace codeloc::daemon
