#include "daemon/supervision/location_machine.h"

#include <csignal>

#include <gtest/gtest.h>

#include "tests/daemon/fake_location_driver.h"

namespace codeloc::daemon {
namespace {

using testing::FakeClock;
using testing::FakeLocationDriver;
using workspace::RestartPolicy;
using S = LocationState;

constexpr ExitStatus kCrash{false, 1};
constexpr ExitStatus kCleanExit{false, 0};

class LocationMachineTest : public ::testing::Test {
 protected:
  LocationMachine& make(SupervisionPolicy policy = {}) {
    machine_.emplace(policy, &driver_, &clock_);
    return *machine_;
  }
  // Lets the current backoff timer fire, as the event loop would.
  void fire(TimerKind kind) {
    ASSERT_TRUE(driver_.armed(kind));
    clock_.advance(driver_.delay(kind));
    driver_.timers.erase(kind);
    machine_->on_timer(kind);
  }
  void crash_and_exit(ExitStatus status = kCrash) {
    machine_->on_exit(status);
    machine_->on_group_empty();
  }

  FakeClock clock_;
  FakeLocationDriver driver_;
  std::optional<LocationMachine> machine_;
};

TEST_F(LocationMachineTest, StartLaunchesAndArmsStartupTimeout) {
  auto& m = make();
  m.start();
  EXPECT_EQ(m.state(), S::kStarting);
  EXPECT_EQ(driver_.launches, 1);
  EXPECT_EQ(driver_.delay(TimerKind::kStartup), milliseconds(60'000));
}

TEST_F(LocationMachineTest, DefinitionsMakeItLoadedAndStartPinging) {
  auto& m = make();
  m.start();
  m.on_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_FALSE(driver_.armed(TimerKind::kStartup));
  EXPECT_EQ(driver_.delay(TimerKind::kPing), milliseconds(10'000));
  fire(TimerKind::kPing);
  EXPECT_EQ(driver_.pings, 1);
}

TEST_F(LocationMachineTest, LoadErrorIsNotACrashAndNeverRestarts) {
  auto& m = make();
  m.start();
  m.on_load_error("ImportError: No module named 'pandas'");
  EXPECT_EQ(m.state(), S::kLoadError);
  EXPECT_EQ(m.error(), "ImportError: No module named 'pandas'");
  EXPECT_TRUE(driver_.timers.empty());
  // Even if the process exits afterwards, the location waits for a reload.
  crash_and_exit();
  EXPECT_EQ(m.state(), S::kLoadError);
  EXPECT_EQ(driver_.launches, 1);
  EXPECT_TRUE(driver_.timers.empty());
}

TEST_F(LocationMachineTest, CrashGoesToBackoffThenRestarts) {
  auto& m = make();
  m.start();
  m.on_loaded();
  crash_and_exit();
  EXPECT_EQ(m.state(), S::kBackoff);
  EXPECT_EQ(m.error(), "the code server exited with code 1");
  EXPECT_EQ(m.last_exit(), kCrash);
  EXPECT_GE(driver_.kills, 1) << "what the crashed child left behind is killed";
  EXPECT_EQ(driver_.delay(TimerKind::kBackoff), milliseconds(100));
  fire(TimerKind::kBackoff);
  EXPECT_EQ(m.state(), S::kStarting);
  EXPECT_EQ(driver_.launches, 2);
  EXPECT_EQ(m.restarts(), 1);
}

TEST_F(LocationMachineTest, BackoffDoublesUpToTheCap) {
  SupervisionPolicy policy;
  policy.backoff_initial = milliseconds(100);
  policy.backoff_max = milliseconds(1'000);
  auto& m = make(policy);
  m.start();
  std::vector<milliseconds> delays;
  for (int i = 0; i < 6; ++i) {
    crash_and_exit();
    delays.push_back(driver_.delay(TimerKind::kBackoff));
    fire(TimerKind::kBackoff);
  }
  EXPECT_EQ(delays, (std::vector<milliseconds>{milliseconds(100), milliseconds(200),
                                               milliseconds(400), milliseconds(800),
                                               milliseconds(1'000), milliseconds(1'000)}));
  EXPECT_EQ(m.restarts(), 6);
}

TEST_F(LocationMachineTest, BackoffResetsAfterAStableRun) {
  auto& m = make();
  m.start();
  for (int i = 0; i < 3; ++i) {
    crash_and_exit();
    fire(TimerKind::kBackoff);
  }
  crash_and_exit();
  EXPECT_EQ(driver_.delay(TimerKind::kBackoff), milliseconds(800));
  fire(TimerKind::kBackoff);
  m.on_loaded();
  clock_.advance(milliseconds(10'000));  // reset_after
  crash_and_exit();
  EXPECT_EQ(driver_.delay(TimerKind::kBackoff), milliseconds(100));
}

TEST_F(LocationMachineTest, PolicyAlwaysRestartsAfterACleanExit) {
  SupervisionPolicy policy;
  policy.restart = RestartPolicy::kAlways;
  auto& m = make(policy);
  m.start();
  m.on_loaded();
  crash_and_exit(kCleanExit);
  EXPECT_EQ(m.state(), S::kBackoff);
}

TEST_F(LocationMachineTest, PolicyOnFailureStopsAfterACleanExitAndRestartsAfterAFailure) {
  auto& m = make();  // on-failure is the default
  m.start();
  m.on_loaded();
  crash_and_exit(kCleanExit);
  EXPECT_EQ(m.state(), S::kStopped);
  EXPECT_EQ(m.error(), "");
  m.start();
  m.on_loaded();
  crash_and_exit(ExitStatus{true, SIGSEGV});
  EXPECT_EQ(m.state(), S::kBackoff);
  EXPECT_EQ(m.error(), "the code server killed by SIGSEGV");
}

TEST_F(LocationMachineTest, PolicyNeverStopsAfterAFailureAndKeepsTheReason) {
  SupervisionPolicy policy;
  policy.restart = RestartPolicy::kNever;
  auto& m = make(policy);
  m.start();
  m.on_loaded();
  crash_and_exit(ExitStatus{false, 3});
  EXPECT_EQ(m.state(), S::kStopped);
  EXPECT_EQ(m.error(), "the code server exited with code 3");
  EXPECT_FALSE(driver_.armed(TimerKind::kBackoff));
}

TEST_F(LocationMachineTest, StartupTimeoutIsACrash) {
  auto& m = make();
  m.start();
  int kills_before = driver_.kills;
  fire(TimerKind::kStartup);
  EXPECT_EQ(m.state(), S::kBackoff);
  EXPECT_EQ(driver_.kills, kills_before + 1);
  EXPECT_EQ(m.error(), "the code server did not load within 1m (startup_timeout)");
  // The killed child's exit arrives later and changes nothing.
  m.on_exit(ExitStatus{true, SIGKILL});
  EXPECT_EQ(m.state(), S::kBackoff);
}

TEST_F(LocationMachineTest, MissedPingsAreACrashAnsweredOnesReset) {
  SupervisionPolicy policy;
  policy.ping_misses = 2;
  auto& m = make(policy);
  m.start();
  m.on_loaded();
  fire(TimerKind::kPing);
  m.on_ping_result(false);
  fire(TimerKind::kPing);
  m.on_ping_result(true);  // the count starts again
  fire(TimerKind::kPing);
  m.on_ping_result(false);
  EXPECT_EQ(m.state(), S::kLoaded);
  fire(TimerKind::kPing);
  m.on_ping_result(false);
  EXPECT_EQ(m.state(), S::kBackoff);
  EXPECT_EQ(m.error(), "the code server stopped answering pings (2 missed)");
}

TEST_F(LocationMachineTest, StopSignalsThenWaitsForTheWholeGroup) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.stop();
  EXPECT_EQ(m.state(), S::kStopping);
  EXPECT_EQ(driver_.terminations, std::vector<int>{SIGTERM});
  EXPECT_EQ(driver_.delay(TimerKind::kStopTimeout), milliseconds(10'000));
  m.on_exit(ExitStatus{true, SIGTERM});
  EXPECT_EQ(m.state(), S::kStopping) << "a grandchild may still run";
  m.on_group_empty();
  EXPECT_EQ(m.state(), S::kStopped);
  EXPECT_FALSE(driver_.armed(TimerKind::kStopTimeout));
  EXPECT_EQ(driver_.launches, 1) << "a stop is not a crash";
}

TEST_F(LocationMachineTest, StopEscalatesToKillAfterStopTimeout) {
  SupervisionPolicy policy;
  policy.stop_signal = SIGINT;
  auto& m = make(policy);
  m.start();
  m.stop();
  EXPECT_EQ(driver_.terminations, std::vector<int>{SIGINT});
  int kills_before = driver_.kills;
  fire(TimerKind::kStopTimeout);
  EXPECT_EQ(driver_.kills, kills_before + 1);
  EXPECT_EQ(m.state(), S::kStopping);
  crash_and_exit(ExitStatus{true, SIGKILL});
  EXPECT_EQ(m.state(), S::kStopped);
}

TEST_F(LocationMachineTest, StopDuringBackoffCancelsTheRestart) {
  auto& m = make();
  m.start();
  crash_and_exit();
  m.stop();
  EXPECT_EQ(m.state(), S::kStopped);
  EXPECT_FALSE(driver_.armed(TimerKind::kBackoff));
  EXPECT_EQ(driver_.launches, 1);
}

TEST_F(LocationMachineTest, StopWhileTheCrashedChildIsStillDyingWaitsForIt) {
  auto& m = make();
  m.start();
  fire(TimerKind::kStartup);  // crash by timeout: the child was killed, its exit not seen yet
  m.stop();
  EXPECT_EQ(m.state(), S::kStopping);
  crash_and_exit(ExitStatus{true, SIGKILL});
  EXPECT_EQ(m.state(), S::kStopped);
}

TEST_F(LocationMachineTest, RestartStopsThenStartsAgain) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.restart();
  EXPECT_EQ(m.state(), S::kStopping);
  crash_and_exit(ExitStatus{true, SIGTERM});
  EXPECT_EQ(m.state(), S::kStarting);
  EXPECT_EQ(driver_.launches, 2);
  EXPECT_EQ(m.restarts(), 0) << "asked-for restarts are not counted as crashes";
}

TEST_F(LocationMachineTest, StartAfterALoadErrorReplacesTheProcess) {
  auto& m = make();
  m.start();
  m.on_load_error("SyntaxError");
  m.start();
  EXPECT_EQ(m.state(), S::kStopping);
  crash_and_exit(ExitStatus{true, SIGTERM});
  EXPECT_EQ(m.state(), S::kStarting);
  m.on_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_EQ(m.error(), "");
}

TEST_F(LocationMachineTest, ExecutableThatCannotStartIsALoadErrorNotACrashLoop) {
  auto& m = make();
  driver_.next_launch = {LaunchOutcome::Kind::kCannotStart, "no such executable: /nope/python"};
  m.start();
  EXPECT_EQ(m.state(), S::kLoadError);
  EXPECT_EQ(m.error(), "no such executable: /nope/python");
  EXPECT_TRUE(driver_.timers.empty());
  m.stop();
  EXPECT_EQ(m.state(), S::kStopped);
}

TEST_F(LocationMachineTest, TransientLaunchFailureBacksOff) {
  auto& m = make();
  driver_.next_launch = {LaunchOutcome::Kind::kTransientFail,
                         "fork: Resource temporarily unavailable"};
  m.start();
  EXPECT_EQ(m.state(), S::kBackoff);
  driver_.next_launch = {};
  fire(TimerKind::kBackoff);
  EXPECT_EQ(m.state(), S::kStarting);
}

TEST_F(LocationMachineTest, ConfigurationFailureIsALoadErrorWithoutProcess) {
  auto& m = make();
  m.fail_configuration("grpc_server locations speak Dagster's gRPC");
  EXPECT_EQ(m.state(), S::kLoadError);
  EXPECT_EQ(driver_.launches, 0);
}

TEST_F(LocationMachineTest, EveryStateChangeIsObservedWithItsTime) {
  auto& m = make();
  m.start();
  clock_.advance(milliseconds(250));
  m.on_loaded();
  EXPECT_EQ(driver_.states, (std::vector<S>{S::kStarting, S::kLoaded}));
  EXPECT_EQ(m.since(), clock_.now());
}

// Hot reload (issue 6): a new child loads beside the old one.

TEST_F(LocationMachineTest, ReloadStartsACandidateBesideTheLoadedChild) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  EXPECT_EQ(m.state(), S::kReloading);
  EXPECT_EQ(driver_.candidate_launches, 1);
  EXPECT_TRUE(driver_.terminations.empty());  // the old child keeps serving
  EXPECT_EQ(driver_.retirements, 0);
  EXPECT_FALSE(driver_.armed(TimerKind::kPing));
  EXPECT_EQ(driver_.delay(TimerKind::kStartup), milliseconds(60'000));
  EXPECT_EQ(m.reloads(), 1);
}

TEST_F(LocationMachineTest, LoadedCandidateTakesOverAndTheOldChildIsRetired) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  m.on_candidate_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_EQ(driver_.promotions, 1);
  EXPECT_TRUE(driver_.armed(TimerKind::kPing));
  EXPECT_FALSE(driver_.armed(TimerKind::kStartup));
  EXPECT_TRUE(m.process_alive());
  EXPECT_EQ(driver_.states, (std::vector<S>{S::kStarting, S::kLoaded, S::kReloading, S::kLoaded}));
}

TEST_F(LocationMachineTest, CandidateLoadErrorReplacesTheOldChildWithoutRestartLoop) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  m.on_candidate_load_error("SyntaxError: invalid syntax (assets.py, line 3)");
  EXPECT_EQ(m.state(), S::kLoadError);
  EXPECT_EQ(m.error(), "SyntaxError: invalid syntax (assets.py, line 3)");
  EXPECT_EQ(driver_.promotions, 1);
  EXPECT_TRUE(driver_.timers.empty());
  // Fixing the file reloads again, beside the error process, and loads.
  m.reload();
  EXPECT_EQ(m.state(), S::kReloading);
  m.on_candidate_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_TRUE(m.error().empty());
}

TEST_F(LocationMachineTest, ChangesDuringAReloadQueueExactlyOneMore) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  m.reload();
  m.reload();
  EXPECT_EQ(driver_.candidate_launches, 1);
  EXPECT_TRUE(m.reload_queued());
  m.on_candidate_loaded();
  EXPECT_EQ(m.state(), S::kReloading);  // the queued reload started at once
  EXPECT_EQ(driver_.candidate_launches, 2);
  EXPECT_FALSE(m.reload_queued());
  m.on_candidate_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_EQ(driver_.candidate_launches, 2);
}

TEST_F(LocationMachineTest, ChangeDuringTheFirstLoadReloadsAfterIt) {
  auto& m = make();
  m.start();
  m.reload();
  EXPECT_EQ(m.state(), S::kStarting);
  EXPECT_EQ(driver_.candidate_launches, 0);
  m.on_loaded();
  EXPECT_EQ(m.state(), S::kReloading);
  EXPECT_EQ(driver_.candidate_launches, 1);
}

TEST_F(LocationMachineTest, ChangeDuringAFirstLoadThatFailsLoadsAgainAfterIt) {
  auto& m = make();
  m.start();
  m.reload();
  m.on_load_error("ValueError: boom");
  EXPECT_EQ(m.state(), S::kReloading);  // the error process serves; the change is loaded
  EXPECT_EQ(driver_.candidate_launches, 1);
  EXPECT_FALSE(m.reload_queued());
  m.on_candidate_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_TRUE(m.error().empty());
}

TEST_F(LocationMachineTest, ChangeDuringAReloadThatFailsLoadsAgainAfterIt) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  m.reload();
  m.on_candidate_load_error("SyntaxError: invalid syntax");
  EXPECT_EQ(m.state(), S::kReloading);
  EXPECT_EQ(driver_.candidate_launches, 2);
  EXPECT_FALSE(m.reload_queued());
}

TEST_F(LocationMachineTest, ChangeDuringAFirstLoadThatCrashesIsTheRestartsToRead) {
  auto& m = make();
  m.start();
  m.reload();
  crash_and_exit();
  EXPECT_EQ(m.state(), S::kBackoff);
  EXPECT_FALSE(m.reload_queued());  // the restart reads the files anew
  fire(TimerKind::kBackoff);
  EXPECT_EQ(m.state(), S::kStarting);
  EXPECT_EQ(driver_.launches, 2);
  m.on_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_EQ(driver_.candidate_launches, 0);
}

TEST_F(LocationMachineTest, ChangeDuringAFirstLoadThatTimesOutIsTheRestartsToRead) {
  auto& m = make();
  m.start();
  m.reload();
  fire(TimerKind::kStartup);
  EXPECT_EQ(m.state(), S::kBackoff);
  EXPECT_FALSE(m.reload_queued());
  fire(TimerKind::kBackoff);
  EXPECT_EQ(driver_.launches, 2);
}

TEST_F(LocationMachineTest, CleanExitDuringAFirstLoadForgetsTheQueuedChange) {
  SupervisionPolicy policy;
  policy.restart = RestartPolicy::kOnFailure;
  auto& m = make(policy);
  m.start();
  m.reload();
  m.on_exit(kCleanExit);
  EXPECT_EQ(m.state(), S::kStopped);
  // A later start reads the files anyway: no second load after it.
  EXPECT_FALSE(m.reload_queued());
  m.on_group_empty();
  m.start();
  m.on_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_EQ(driver_.candidate_launches, 0);
}

TEST_F(LocationMachineTest, CandidateCrashFollowsTheBackoffRules) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  m.on_candidate_exit(kCrash);
  EXPECT_EQ(m.state(), S::kBackoff);
  EXPECT_EQ(driver_.discards, 1);
  EXPECT_EQ(driver_.retirements, 1);  // the old child goes too: the reload's outcome is the state
  EXPECT_EQ(driver_.delay(TimerKind::kBackoff), milliseconds(100));
  EXPECT_FALSE(m.process_alive());
  EXPECT_NE(m.error().find("while reloading"), std::string::npos);
  fire(TimerKind::kBackoff);
  EXPECT_EQ(m.state(), S::kStarting);
  m.on_exit(kCrash);
  m.on_group_empty();
  EXPECT_EQ(driver_.delay(TimerKind::kBackoff), milliseconds(200));  // the delay grew
}

TEST_F(LocationMachineTest, ChangeInBackoffReloadsAtOnce) {
  auto& m = make();
  m.start();
  m.on_loaded();
  crash_and_exit();
  ASSERT_EQ(m.state(), S::kBackoff);
  m.reload();
  EXPECT_EQ(m.state(), S::kReloading);
  EXPECT_FALSE(driver_.armed(TimerKind::kBackoff));
  m.on_candidate_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
}

TEST_F(LocationMachineTest, CandidateStartupTimeoutIsACrash) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  fire(TimerKind::kStartup);
  EXPECT_EQ(m.state(), S::kBackoff);
  EXPECT_EQ(driver_.discards, 1);
  EXPECT_NE(m.error().find("startup_timeout"), std::string::npos);
}

TEST_F(LocationMachineTest, OldChildExitDuringReloadWaitsForTheCandidate) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  crash_and_exit();
  EXPECT_EQ(m.state(), S::kReloading);
  EXPECT_FALSE(driver_.armed(TimerKind::kBackoff));
  m.on_candidate_loaded();
  EXPECT_EQ(m.state(), S::kLoaded);
  EXPECT_TRUE(m.process_alive());
}

TEST_F(LocationMachineTest, StopDuringReloadDiscardsTheCandidate) {
  auto& m = make();
  m.start();
  m.on_loaded();
  m.reload();
  m.reload();
  m.stop();
  EXPECT_EQ(m.state(), S::kStopping);
  EXPECT_EQ(driver_.discards, 1);
  EXPECT_FALSE(m.reload_queued());
  EXPECT_EQ(driver_.terminations, (std::vector<int>{SIGTERM}));
  m.on_candidate_loaded();  // too late: ignored
  EXPECT_EQ(m.state(), S::kStopping);
  crash_and_exit(kCleanExit);
  EXPECT_EQ(m.state(), S::kStopped);
}

TEST_F(LocationMachineTest, StoppedLocationIgnoresReloads) {
  auto& m = make();
  m.reload();
  EXPECT_EQ(m.state(), S::kStopped);
  EXPECT_EQ(driver_.launches + driver_.candidate_launches, 0);
}

TEST_F(LocationMachineTest, ReloadThatCannotStartIsALoadError) {
  auto& m = make();
  m.start();
  m.on_loaded();
  driver_.next_launch = {LaunchOutcome::Kind::kCannotStart, "no such executable: /nope/python"};
  m.reload();
  EXPECT_EQ(m.state(), S::kLoadError);
  EXPECT_EQ(driver_.retirements, 1);
  EXPECT_EQ(m.error(), "no such executable: /nope/python");
}

}  // namespace
}  // namespace codeloc::daemon
