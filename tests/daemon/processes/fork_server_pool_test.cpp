// The fork server pool's decisions, with a cold launcher that records what it is asked to start.
// The fork server itself is stood in for by `sleep` (these tests never get it ready); the real
// thing is exercised by tests/integration/test_warm.py.
#include "daemon/processes/fork_server_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
    return result;
  }
  std::vector<LaunchSpec> launched;
  std::vector<pid_t> servers;
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

TEST(StartupVariables, OnlyThoseTheInterpreterReadsAtStartCount) {
  std::vector<std::string> server{"PATH=/bin", "PYTHONUNBUFFERED=1", "LD_LIBRARY_PATH=/x"};
  EXPECT_EQ(startup_variable_difference({"PATH=/usr/bin", "LD_LIBRARY_PATH=/x", "HOME=/h",
                                         "PYTHONPATH=/lib", "PYTHONUNBUFFERED=1"},
                                        server),
            "");
  EXPECT_EQ(startup_variable_difference({"LD_LIBRARY_PATH=/x", "PYTHONHASHSEED=0"}, server),
            "PYTHONHASHSEED");
  EXPECT_EQ(startup_variable_difference({"LD_LIBRARY_PATH=/y"}, server), "LD_LIBRARY_PATH");
  EXPECT_EQ(startup_variable_difference({}, server), "LD_LIBRARY_PATH")
      << "a variable the server has and the location lacks differs too";
}

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

}  // namespace
}  // namespace codeloc::daemon
