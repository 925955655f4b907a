#include "daemon/supervision/supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/daemon/fake_location_driver.h"
#include "tests/daemon/fake_process_signals.h"

namespace codeloc::daemon {
namespace {

using workspace::LocationKind;
using workspace::LocationSpec;

// Hands out fake pids without starting anything; the signals the supervisor sends them go to a
// FakeProcessSignals, which sends nothing.
class FakeLauncher final : public ProcessLauncher {
 public:
  LaunchResult launch(const LaunchSpec& spec) override {
    launched.push_back(spec);
    LaunchResult result;
    result.child.pid = next_pid++;
    return result;
  }
  std::vector<LaunchSpec> launched;
  pid_t next_pid = 1000;
};

LocationSpec command_spec(const std::string& name, std::vector<std::string> argv) {
  LocationSpec spec;
  spec.name = name;
  spec.kind = LocationKind::kCommand;
  spec.argv = std::move(argv);
  spec.working_directory = "/";
  return spec;
}

class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() : settings_(config::Settings::defaults({}, 1000)) {}

  std::optional<pid_t> pid_of(const std::string& name) {
    Location* location = supervisor_.find(name);
    return location ? location->pid() : std::nullopt;
  }

  boost::asio::io_context io_;
  testing::FakeClock clock_;
  FakeLauncher launcher_;
  testing::FakeProcessSignals signals_;
  config::Settings settings_;
  Supervisor supervisor_{io_, clock_, launcher_, settings_, LocationOptions{}, signals_};
};

TEST_F(SupervisorTest, FirstWorkspaceStartsEveryLocationInOrder) {
  supervisor_.apply({{}, {command_spec("a", {"/bin/a"}), command_spec("b", {"/bin/b"})}});
  ASSERT_EQ(launcher_.launched.size(), 2u);
  EXPECT_EQ(launcher_.launched[0].argv[0], "/bin/a");
  auto locations = supervisor_.locations();
  ASSERT_EQ(locations.size(), 2u);
  EXPECT_EQ(locations[0]->name(), "a");
  EXPECT_EQ(locations[0]->state(), LocationState::kStarting);
}

TEST_F(SupervisorTest, ReloadStartsAddedStopsRemovedRestartsChangedAndLeavesTheRest) {
  supervisor_.apply({{},
                     {command_spec("keep", {"/bin/keep"}), command_spec("change", {"/bin/old"}),
                      command_spec("drop", {"/bin/drop"})}});
  pid_t keep_pid = *pid_of("keep");
  pid_t change_pid = *pid_of("change");
  launcher_.launched.clear();

  supervisor_.apply({{},
                     {command_spec("keep", {"/bin/keep"}), command_spec("change", {"/bin/new"}),
                      command_spec("add", {"/bin/add"})}});
  // Added: started at once. Changed: stopping, restarted once its old process is gone.
  ASSERT_EQ(launcher_.launched.size(), 1u);
  EXPECT_EQ(launcher_.launched[0].argv[0], "/bin/add");
  EXPECT_EQ(supervisor_.find("change")->state(), LocationState::kStopping);
  EXPECT_EQ(supervisor_.find("drop"), nullptr) << "removed locations leave the list at once";
  EXPECT_EQ(pid_of("keep"), keep_pid);

  EXPECT_EQ(signals_.group_signals(change_pid), (std::vector<int>{SIGTERM, SIGCONT}));
  supervisor_.find("change")->on_reaped(change_pid, ExitStatus{true, 15});
  supervisor_.find("change")->check_processes_gone();
  ASSERT_EQ(launcher_.launched.size(), 2u);
  EXPECT_EQ(launcher_.launched[1].argv[0], "/bin/new");
  EXPECT_EQ(supervisor_.find("change")->state(), LocationState::kStarting);
  EXPECT_EQ(pid_of("keep"), keep_pid);
  std::vector<std::string> names;
  for (const Location* location : supervisor_.locations())
    names.push_back(location->name());
  EXPECT_EQ(names, (std::vector<std::string>{"keep", "change", "add"}));
}

TEST_F(SupervisorTest, UnchangedWorkspaceTouchesNothing) {
  supervisor_.apply({{}, {command_spec("a", {"/bin/a"})}});
  pid_t pid = *pid_of("a");
  supervisor_.apply({{}, {command_spec("a", {"/bin/a"})}});
  EXPECT_EQ(launcher_.launched.size(), 1u);
  EXPECT_EQ(pid_of("a"), pid);
}

TEST_F(SupervisorTest, ChildEnvironmentCarriesTheLocationAndChannel) {
  LocationSpec spec = command_spec("env", {"/bin/env"});
  spec.env = {{"GREETING", "hello"}};
  spec.inherit_env = false;
  supervisor_.apply({{}, {spec}});
  const auto& env = launcher_.launched.at(0).env;
  auto has = [&](const std::string& entry) {
    return std::find(env.begin(), env.end(), entry) != env.end();
  };
  EXPECT_TRUE(has("GREETING=hello"));
  EXPECT_TRUE(has("CODELOC_LOCATION=env"));
  EXPECT_TRUE(has("CODELOC_CHANNEL_FD=3"));
  EXPECT_TRUE(has("CODELOC_PROTOCOL=1"));
  EXPECT_FALSE(std::any_of(env.begin(), env.end(), [](const std::string& e) {
    return e.rfind("PATH=", 0) == 0;
  })) << "inherit_env: false passes nothing of the daemon's environment";
}

TEST_F(SupervisorTest, PolicyTakesTheEntrysRestartKeysOverTheDaemonDefaults) {
  LocationSpec spec = command_spec("p", {"/bin/p"});
  spec.restart.policy = workspace::RestartPolicy::kNever;
  spec.restart.stop_timeout = std::chrono::milliseconds(2500);
  SupervisionPolicy policy = supervisor_.policy_for(spec);
  EXPECT_EQ(policy.restart, workspace::RestartPolicy::kNever);
  EXPECT_EQ(policy.stop_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(policy.startup_timeout, settings_.restart_defaults.startup_timeout);
  EXPECT_EQ(policy.ping_interval, settings_.ping_interval);
}

TEST_F(SupervisorTest, ReapHandsEveryExitToTheLocationWhoseChildItWas) {
  supervisor_.apply({{}, {command_spec("a", {"/bin/a"}), command_spec("b", {"/bin/b"})}});
  pid_t a = *pid_of("a");
  pid_t b = *pid_of("b");
  signals_.exits = {
      {b, ExitStatus{true, SIGKILL}}, {4242, ExitStatus{}}, {a, ExitStatus{false, 3}}};
  supervisor_.reap();
  EXPECT_TRUE(signals_.exits.empty()) << "reaped until none was waiting";
  EXPECT_EQ(supervisor_.find("a")->state(), LocationState::kBackoff);
  EXPECT_EQ(supervisor_.find("a")->machine().last_exit(), (ExitStatus{false, 3}));
  EXPECT_EQ(supervisor_.find("b")->state(), LocationState::kBackoff);
  EXPECT_EQ(supervisor_.find("b")->machine().last_exit(), (ExitStatus{true, SIGKILL}));
  EXPECT_EQ(signals_.group_signals(a), std::vector<int>{SIGKILL}) << "the crash's sweep";
  EXPECT_TRUE(signals_.group_signals(4242).empty()) << "an orphan is only reaped";
}

TEST_F(SupervisorTest, ReapLooksAtTheLocationsInsideOneScanBatch) {
  supervisor_.apply({{}, {command_spec("a", {"/bin/a"})}});
  pid_t a = *pid_of("a");
  signals_.alive[a] = {a + 7};  // a grandchild is left: the location checks it
  signals_.exits = {{a, ExitStatus{false, 1}}};
  int batches = signals_.batches;
  int scans = signals_.scans;
  supervisor_.reap();
  EXPECT_GT(signals_.batches, batches);
  EXPECT_GT(signals_.scans, scans);
  EXPECT_EQ(signals_.batch_depth, 0) << "every batch begun is ended";
  EXPECT_FALSE(supervisor_.find("a")->all_processes_gone());

  signals_.alive.erase(a);
  supervisor_.reap();  // nothing to reap: the look again (as the recheck timer does) sees it gone
  EXPECT_TRUE(supervisor_.find("a")->all_processes_gone());
  EXPECT_EQ(signals_.batch_depth, 0);
}

}  // namespace
}  // namespace codeloc::daemon
