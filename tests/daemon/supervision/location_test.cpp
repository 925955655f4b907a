// Location, the Asio layer of one location, with a launcher that starts nothing: each launch gets
// a made-up pid and hands the test the channel, on which the test plays the code server; signals
// go to a FakeProcessSignals. Exits are reported with on_reaped, as the Supervisor's reaper does.
#include "daemon/supervision/location.h"

#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <optional>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "daemon/control/location_status.h"
#include "ipc/json_rpc.h"
#include "ipc/protocol.h"
#include "tests/daemon/fake_location_driver.h"
#include "tests/daemon/fake_process_signals.h"

namespace codeloc::daemon {
namespace {

using nlohmann::json;
using testing::FakeProcessSignals;
using Sent = FakeProcessSignals::Sent;

// The test's end of a child's channel: answers the daemon's requests line by line.
class ChannelCodeServer {
 public:
  explicit ChannelCodeServer(UniqueFd fd, std::string snapshot)
      : fd_(std::move(fd)), snapshot_(std::move(snapshot)) {
    ::fcntl(fd_.get(), F_SETFL, ::fcntl(fd_.get(), F_GETFL) | O_NONBLOCK);
  }

  // Reads what has arrived and answers each complete request. False once the daemon closed it.
  bool pump() {
    char buffer[4096];
    for (;;) {
      ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
      if (n == 0) return false;
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
      in_.append(buffer, static_cast<std::size_t>(n));
      for (std::size_t end; (end = in_.find('\n')) != std::string::npos;) {
        answer(json::parse(in_.substr(0, end)));
        in_.erase(0, end + 1);
      }
    }
  }

  std::vector<std::string> methods;  // what the daemon asked, in order

 private:
  void answer(const json& request) {
    std::string method = request.value("method", "");
    methods.push_back(method);
    if (!request.contains("id")) return;
    json result = nullptr;
    if (method == ipc::method::kInitialize) {
      result = {{"protocol_version", ipc::kCodeServerProtocolVersion}};
    } else if (method == ipc::method::kDefinitionsGet) {
      result = {{"snapshot", json::parse(snapshot_)}};
    }
    std::string line = ipc::make_result(request["id"], result);
    if (line.empty() || line.back() != '\n') line += '\n';
    ASSERT_EQ(::write(fd_.get(), line.data(), line.size()), static_cast<ssize_t>(line.size()));
  }

  UniqueFd fd_;
  std::string snapshot_;
  std::string in_;
};

// Starts nothing. Each launch gets the next pid and a copy of the channel's child end; with
// `defer` set, launch_async keeps the completion until complete() is called.
class ManualLauncher final : public ProcessLauncher {
 public:
  LaunchResult launch(const LaunchSpec& spec) override {
    launched.push_back(spec);
    if (fail) {
      LaunchResult failed;
      failed.kind = *fail;
      failed.error = *fail == LaunchOutcome::Kind::kCannotStart ? "cannot start: no such file"
                                                                : "fork: out of memory";
      fail.reset();
      return failed;
    }
    channels.emplace_back(::dup(spec.channel_fd));
    LaunchResult result;
    result.child.pid = next_pid++;
    return result;
  }
  void launch_async(const LaunchSpec& spec, std::function<void(LaunchResult)> done) override {
    if (!defer) {
      done(launch(spec));
      return;
    }
    auto result = std::make_shared<LaunchResult>(launch(spec));
    pending.push_back([result, done = std::move(done)] { done(std::move(*result)); });
  }
  // Runs the oldest deferred completion.
  void complete() {
    ASSERT_FALSE(pending.empty());
    auto next = std::move(pending.front());
    pending.erase(pending.begin());
    next();
  }

  bool defer = false;
  std::optional<LaunchOutcome::Kind> fail;  // the next launch fails so
  std::vector<LaunchSpec> launched;
  std::vector<UniqueFd> channels;  // the child ends, one per launch
  std::vector<std::function<void()>> pending;
  pid_t next_pid = 1000;
};

class RecordingObserver final : public LocationObserver {
 public:
  void location_state_changed(const Location&, LocationState, LocationState to) override {
    states.push_back(to);
  }
  void location_output(const Location&, const LogLine&) override {}
  void location_definitions(const Location&, const std::string&) override { ++definitions; }
  void location_reloaded(const Location&, const ReloadReport& report) override {
    reloads.push_back(report);
  }
  std::vector<LocationState> states;
  int definitions = 0;
  std::vector<ReloadReport> reloads;
};

workspace::LocationSpec command_spec() {
  workspace::LocationSpec spec;
  spec.name = "loc";
  spec.kind = workspace::LocationKind::kCommand;
  spec.argv = {"/bin/code-server"};
  spec.working_directory = "/";
  return spec;
}

SupervisionPolicy quick_policy() {
  SupervisionPolicy policy;
  policy.backoff_initial = std::chrono::milliseconds(1);
  policy.backoff_max = std::chrono::milliseconds(1);
  policy.ping_interval = std::chrono::hours(1);
  policy.startup_timeout = std::chrono::hours(1);
  policy.stop_timeout = std::chrono::hours(1);
  return policy;
}

class LocationTest : public ::testing::Test {
 protected:
  LocationTest() {
    location_ = std::make_unique<Location>(io_, clock_, launcher_, signals_, observer_, options_,
                                           command_spec(), quick_policy());
  }

  // Runs the loop, playing the code server on every channel handed out, until `done` holds.
  void run_until(const std::function<bool()>& done, const char* what) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out waiting for " << what;
      for (std::size_t i = servers_.size(); i < launcher_.channels.size(); ++i) {
        servers_.push_back(std::make_unique<ChannelCodeServer>(
            std::move(launcher_.channels[i]), R"({"n":)" + std::to_string(i) + "}"));
      }
      for (auto& server : servers_)
        server->pump();
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
  }

  void run_until_state(LocationState state) {
    run_until([&] { return location_->state() == state; }, state_name(state));
  }

  void start_loaded() {
    location_->start();
    run_until_state(LocationState::kLoaded);
  }

  bool sent(const Sent& s) const {
    return std::find(signals_.sent.begin(), signals_.sent.end(), s) != signals_.sent.end();
  }

  boost::asio::io_context io_;
  testing::FakeClock clock_;
  ManualLauncher launcher_;
  FakeProcessSignals signals_;
  RecordingObserver observer_;
  LocationOptions options_;
  std::vector<std::unique_ptr<ChannelCodeServer>> servers_;
  std::unique_ptr<Location> location_;
};

TEST_F(LocationTest, StartLoadsTheDefinitionsTheCodeServerSends) {
  location_->start();
  EXPECT_EQ(location_->state(), LocationState::kStarting);
  ASSERT_EQ(launcher_.launched.size(), 1u);
  EXPECT_EQ(launcher_.launched[0].argv, (std::vector<std::string>{"/bin/code-server"}));
  EXPECT_EQ(location_->pid(), 1000);
  run_until_state(LocationState::kLoaded);
  EXPECT_EQ(servers_[0]->methods,
            (std::vector<std::string>{ipc::method::kInitialize, ipc::method::kDefinitionsGet}));
  ASSERT_TRUE(location_->snapshot());
  EXPECT_EQ(location_->snapshot()->bytes, R"({"n":0})");
  EXPECT_EQ(observer_.definitions, 1);
  EXPECT_EQ(observer_.states,
            (std::vector<LocationState>{LocationState::kStarting, LocationState::kLoaded}));

  LocationStatus status = location_->status();
  EXPECT_EQ(status.name, "loc");
  EXPECT_EQ(status.state, LocationState::kLoaded);
  EXPECT_EQ(status.pid, 1000);
  EXPECT_EQ(status.definitions_version, location_->snapshot()->version);
  EXPECT_EQ(status.restarts, 0);
  EXPECT_TRUE(status.error.empty());
  EXPECT_EQ(status.start_mode, "") << "start modes are for Python locations";
  EXPECT_EQ(status.dagster_grpc.kind, LocationStatus::DagsterGrpc::Kind::kNone);
  json entry = location_status_json(status);
  EXPECT_EQ(entry["state"], "LOADED");
  EXPECT_EQ(entry["pid"], 1000);
  EXPECT_EQ(entry["kind"], "command");
  EXPECT_TRUE(entry["dagster_grpc"].is_null());
  EXPECT_EQ(entry["draining"], json::array());
  EXPECT_TRUE(signals_.sent.empty()) << "nothing is signalled on the way up";
}

TEST_F(LocationTest, CrashKillsWhatIsLeftAndRestartsAfterTheBackoff) {
  start_loaded();
  signals_.alive[1000] = {1007};  // a grandchild the crash left behind
  EXPECT_TRUE(location_->on_reaped(1000, ExitStatus{true, SIGSEGV}));
  EXPECT_EQ(location_->state(), LocationState::kBackoff);
  EXPECT_TRUE(sent({1000, SIGKILL, true}));
  EXPECT_TRUE(sent({1007, SIGKILL, false}));
  EXPECT_FALSE(location_->on_reaped(4242, ExitStatus{})) << "not one of its pids";

  signals_.alive.erase(1000);
  location_->check_processes_gone();
  run_until([&] { return launcher_.launched.size() == 2; }, "the restart");
  EXPECT_EQ(location_->pid(), 1001);
  run_until_state(LocationState::kLoaded);
  LocationStatus status = location_->status();
  EXPECT_EQ(status.restarts, 1);
  ASSERT_TRUE(status.last_exit);
  EXPECT_EQ(*status.last_exit, (ExitStatus{true, SIGSEGV}));
  EXPECT_EQ(location_status_json(status)["last_exit"], (json{{"signal", "SIGSEGV"}}));
}

TEST_F(LocationTest, ReloadPromotesTheCandidateAndStopsTheOldChild) {
  start_loaded();
  std::string first_version = location_->snapshot()->version;
  location_->reload(Location::ReloadTrigger::kRequest, "assets.py changed");
  EXPECT_EQ(location_->state(), LocationState::kReloading);
  EXPECT_EQ(location_->reload_cause(), "assets.py changed");
  ASSERT_EQ(launcher_.launched.size(), 2u);
  EXPECT_EQ(location_->pid(), 1000) << "the old child serves until the new one has loaded";

  run_until_state(LocationState::kLoaded);
  EXPECT_EQ(location_->pid(), 1001);
  EXPECT_NE(location_->snapshot()->version, first_version);
  EXPECT_EQ(signals_.group_signals(1000), (std::vector<int>{SIGTERM, SIGCONT}))
      << "the retired child gets the stop signal";
  EXPECT_TRUE(signals_.group_signals(1001).empty());
  ASSERT_EQ(observer_.reloads.size(), 1u);
  EXPECT_EQ(observer_.reloads[0].outcome, LocationState::kLoaded);
  EXPECT_EQ(observer_.reloads[0].cause, "assets.py changed");
  EXPECT_EQ(location_->status().reloads, 1);

  signals_.alive[1000] = {1000};  // the retired group still has its leader
  EXPECT_FALSE(location_->all_processes_gone());
  EXPECT_TRUE(location_->on_reaped(1000, ExitStatus{true, SIGTERM}));
  EXPECT_EQ(location_->state(), LocationState::kLoaded) << "a retired child's exit is no crash";
  signals_.alive.erase(1000);
  location_->check_processes_gone();
  EXPECT_FALSE(location_->all_processes_gone()) << "the current child still runs";
  EXPECT_TRUE(location_->status().draining.empty());
}

TEST_F(LocationTest, FileChangeDuringTheFirstLoadIsLoadedOnceItHasLoaded) {
  location_->start();
  location_->reload(Location::ReloadTrigger::kFiles, "defs.py changed");
  EXPECT_EQ(location_->state(), LocationState::kStarting);
  EXPECT_TRUE(location_->status().reload_queued);
  EXPECT_EQ(location_status_json(location_->status())["reload_queued"], true);
  ASSERT_EQ(launcher_.launched.size(), 1u) << "the running load is not interrupted";

  run_until([&] { return observer_.reloads.size() == 1; }, "the queued reload");
  EXPECT_EQ(launcher_.launched.size(), 2u);
  EXPECT_EQ(observer_.reloads[0].outcome, LocationState::kLoaded);
  EXPECT_EQ(observer_.reloads[0].cause, "defs.py changed");
  EXPECT_EQ(location_->state(), LocationState::kLoaded);
  EXPECT_EQ(location_->pid(), 1001) << "the child that read the files after the change";
  EXPECT_FALSE(location_->status().reload_queued);
}

TEST_F(LocationTest, StopSignalsTheGroupAndEndsStoppedOnceItIsGone) {
  start_loaded();
  location_->stop();
  EXPECT_EQ(location_->state(), LocationState::kStopping);
  EXPECT_EQ(signals_.group_signals(1000), (std::vector<int>{SIGTERM, SIGCONT}));
  run_until(
      [&] {
        return !servers_[0]->methods.empty() &&
               servers_[0]->methods.back() == ipc::method::kShutdown;
      },
      "the shutdown request");
  EXPECT_TRUE(location_->on_reaped(1000, ExitStatus{true, SIGTERM}));
  location_->check_processes_gone();
  EXPECT_EQ(location_->state(), LocationState::kStopped);
  EXPECT_TRUE(location_->all_processes_gone());
  LocationStatus status = location_->status();
  EXPECT_FALSE(status.pid);
  EXPECT_FALSE(status.definitions_version) << "a stopped location serves no definitions";
  EXPECT_TRUE(location_status_json(status)["pid"].is_null());
}

TEST_F(LocationTest, KillNowKillsTheGroupAndEveryProcessTheScanFinds) {
  start_loaded();
  signals_.alive[1000] = {1000, 1003, 1004};
  location_->kill_now();
  EXPECT_TRUE(sent({1000, SIGKILL, true}));
  EXPECT_TRUE(sent({1003, SIGKILL, false}));
  EXPECT_TRUE(sent({1004, SIGKILL, false}));
}

TEST_F(LocationTest, AsyncLaunchWaitsWithoutAPidUntilItCompletes) {
  launcher_.defer = true;
  location_->start();
  EXPECT_EQ(location_->state(), LocationState::kStarting);
  EXPECT_FALSE(location_->pid()) << "no process yet";
  EXPECT_EQ(launcher_.pending.size(), 1u);
  launcher_.complete();
  EXPECT_EQ(location_->pid(), 1000);
  run_until_state(LocationState::kLoaded);
  EXPECT_EQ(location_->status().pid, 1000);
}

TEST_F(LocationTest, AsyncLaunchKeepsTheChildsChannelEndOpenUntilItCompletes) {
  launcher_.defer = true;
  location_->start();
  ASSERT_EQ(launcher_.launched.size(), 1u);
  int fd = launcher_.launched[0].channel_fd;
  EXPECT_NE(::fcntl(fd, F_GETFD), -1) << "the launcher may still pass it to the child";
  launcher_.complete();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "closed once the launch is done";
}

TEST_F(LocationTest, AsyncLaunchThatCompletesAfterAStopIsKilled) {
  launcher_.defer = true;
  location_->start();
  location_->stop();
  run_until_state(LocationState::kStopped);
  launcher_.complete();
  EXPECT_EQ(signals_.group_signals(1000), (std::vector<int>{SIGKILL}));
  EXPECT_EQ(location_->state(), LocationState::kStopped);
  EXPECT_FALSE(location_->pid());
}

TEST_F(LocationTest, AsyncCandidateThatCompletesAfterItWasDiscardedIsKilled) {
  start_loaded();
  launcher_.defer = true;
  location_->reload(Location::ReloadTrigger::kRequest, "requested");
  EXPECT_EQ(location_->state(), LocationState::kReloading);
  location_->stop();  // discards the candidate still launching
  launcher_.complete();
  EXPECT_EQ(signals_.group_signals(1001), (std::vector<int>{SIGKILL}));
  EXPECT_TRUE(location_->on_reaped(1000, ExitStatus{true, SIGTERM}));
  location_->check_processes_gone();
  EXPECT_EQ(location_->state(), LocationState::kStopped);
}

TEST_F(LocationTest, AsyncLaunchCompletingAfterTheLocationIsGoneIsKilled) {
  launcher_.defer = true;
  location_->start();
  location_.reset();
  launcher_.complete();
  EXPECT_EQ(signals_.group_signals(1000), (std::vector<int>{SIGKILL}));
}

TEST_F(LocationTest, AsyncLaunchFailureIsACrashRestartedWithBackoff) {
  launcher_.defer = true;
  launcher_.fail = LaunchOutcome::Kind::kTransientFail;
  location_->start();
  EXPECT_EQ(location_->state(), LocationState::kStarting);
  launcher_.complete();
  EXPECT_EQ(location_->state(), LocationState::kBackoff);
  run_until([&] { return launcher_.pending.size() == 1; }, "the restart");
  launcher_.complete();
  run_until_state(LocationState::kLoaded);
  EXPECT_EQ(location_->status().restarts, 1);
  EXPECT_EQ(location_->pid(), 1000);
}

TEST_F(LocationTest, AChildFoundGoneIsNotScannedAgainWhenTheRestartRetiresIt) {
  start_loaded();
  EXPECT_TRUE(location_->on_reaped(1000, ExitStatus{false, 1}));
  location_->check_processes_gone();
  ASSERT_EQ(location_->state(), LocationState::kBackoff);
  EXPECT_TRUE(location_->all_processes_gone());
  int scans = signals_.scans;

  location_->restart();  // from BACKOFF: launches at once, retiring the exited child
  EXPECT_EQ(launcher_.launched.size(), 2u);
  EXPECT_EQ(location_->state(), LocationState::kStarting);
  EXPECT_EQ(signals_.scans, scans) << "nothing is scanned between the crash's check and the fork";
  EXPECT_EQ(location_->pid(), 1001);
}

TEST_F(LocationTest, AChildWithProcessesLeftIsScannedUntilTheyAreGone) {
  start_loaded();
  signals_.alive[1000] = {1007};
  EXPECT_TRUE(location_->on_reaped(1000, ExitStatus{false, 1}));
  location_->check_processes_gone();
  EXPECT_FALSE(location_->all_processes_gone());
  int scans = signals_.scans;
  EXPECT_FALSE(location_->all_processes_gone());
  EXPECT_GT(signals_.scans, scans) << "not gone yet: each look scans";

  signals_.alive.erase(1000);
  location_->check_processes_gone();
  EXPECT_TRUE(location_->all_processes_gone());
}

TEST_F(LocationTest, AsyncLaunchThatCanNeverStartIsALoadError) {
  launcher_.defer = true;
  launcher_.fail = LaunchOutcome::Kind::kCannotStart;
  location_->start();
  launcher_.complete();
  EXPECT_EQ(location_->state(), LocationState::kLoadError);
  LocationStatus status = location_->status();
  EXPECT_EQ(status.error, "cannot start: no such file");
  EXPECT_EQ(location_status_json(status)["error"],
            (json{{"message", "cannot start: no such file"}}));
  EXPECT_FALSE(status.pid);
}

}  // namespace
}  // namespace codeloc::daemon
