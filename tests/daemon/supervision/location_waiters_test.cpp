// LocationWaiters on a real Supervisor with fake processes: answered at once, on the state change
// that settles the location, at the deadline, or when the location leaves the workspace.
#include "daemon/supervision/location_waiters.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/daemon/fake_location_driver.h"
#include "tests/daemon/fake_process_signals.h"

namespace codeloc::daemon {
namespace {

constexpr auto kWaitersDeadline = std::chrono::seconds(10);

// Hands out fake pids without starting anything.
class FakeWaitersLauncher final : public ProcessLauncher {
 public:
  LaunchResult launch(const LaunchSpec&) override {
    LaunchResult result;
    result.child.pid = next_pid++;
    return result;
  }
  pid_t next_pid = 2000;
};

workspace::LocationSpec waiters_command_spec(const std::string& name) {
  workspace::LocationSpec spec;
  spec.name = name;
  spec.kind = workspace::LocationKind::kCommand;
  spec.argv = {"/bin/" + name};
  spec.working_directory = "/";
  return spec;
}

// What a Done callback was called with.
struct WaitersDone {
  int calls = 0;
  const Location* location = nullptr;
  std::optional<LocationState> state;  // the location's state when done was called
  LocationWaiters::Done callback() {
    return [this](const Location* found) {
      ++calls;
      location = found;
      if (found) state = found->state();
    };
  }
};

// Runs the loop until a timer of `after` has fired: timers fire in deadline order, so every
// timer due before it (a waiter's deadline) has fired by then. False at the deadline.
bool waiters_run_past(boost::asio::io_context& io, std::chrono::milliseconds after) {
  boost::asio::steady_timer marker(io, after);
  bool fired = false;
  marker.async_wait([&](const boost::system::error_code&) { fired = true; });
  auto deadline = std::chrono::steady_clock::now() + kWaitersDeadline;
  while (!fired) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(deadline - now);
  }
  return true;
}

LocationWaiters::Settled waiters_in_state(LocationState state) {
  return [state](const Location& location) { return location.state() == state; };
}

class LocationWaitersTest : public ::testing::Test {
 protected:
  LocationWaitersTest() : settings_(config::Settings::defaults({}, 1000)) {
    supervisor_.add_listener(&waiters_);
    supervisor_.apply({{}, {waiters_command_spec("a"), waiters_command_spec("b")}});
  }

  // Stops `name` and reports its process gone: STOPPING, then STOPPED.
  void stop_and_reap(const std::string& name) {
    Location* location = supervisor_.find(name);
    pid_t pid = *location->pid();
    location->stop();
    location->on_reaped(pid, ExitStatus{true, SIGTERM});
    location->check_processes_gone();
  }

  // Runs the loop until `done` was called; false at the deadline.
  bool run_until_done(const WaitersDone& done) {
    auto deadline = std::chrono::steady_clock::now() + kWaitersDeadline;
    while (done.calls == 0) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_for(deadline - now);
    }
    return true;
  }

  boost::asio::io_context io_;
  testing::FakeClock clock_;
  FakeWaitersLauncher launcher_;
  testing::FakeProcessSignals signals_;
  config::Settings settings_;
  Supervisor supervisor_{io_, clock_, launcher_, settings_, LocationOptions{}, signals_};
  LocationWaiters waiters_{io_, supervisor_};
};

TEST_F(LocationWaitersTest, UnknownLocationIsAnsweredAtOnceWithNull) {
  WaitersDone done;
  waiters_.wait("nope", waiters_in_state(LocationState::kStopped), std::chrono::seconds(60),
                done.callback());
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.location, nullptr);
}

TEST_F(LocationWaitersTest, AlreadySettledIsAnsweredAtOnce) {
  WaitersDone done;
  waiters_.wait("a", waiters_in_state(LocationState::kStarting), std::chrono::seconds(60),
                done.callback());
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.location, supervisor_.find("a"));
  EXPECT_EQ(done.state, LocationState::kStarting);
}

TEST_F(LocationWaitersTest, AnsweredOnTheStateChangeThatSettlesIt) {
  WaitersDone done;
  waiters_.wait("a", waiters_in_state(LocationState::kStopped), std::chrono::milliseconds(5),
                done.callback());
  EXPECT_EQ(done.calls, 0);
  Location* a = supervisor_.find("a");
  pid_t pid = *a->pid();
  a->stop();
  EXPECT_EQ(a->state(), LocationState::kStopping);
  EXPECT_EQ(done.calls, 0) << "STOPPING does not settle a wait for STOPPED";
  a->on_reaped(pid, ExitStatus{true, SIGTERM});
  a->check_processes_gone();
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.location, a);
  EXPECT_EQ(done.state, LocationState::kStopped);
  // Answered once: later changes call nothing, and the deadline's timer is gone.
  a->start();
  stop_and_reap("a");
  EXPECT_EQ(done.calls, 1);
  ASSERT_TRUE(waiters_run_past(io_, std::chrono::milliseconds(50)));
  EXPECT_EQ(done.calls, 1) << "the 5 ms deadline passed after the answer: nothing more";
}

TEST_F(LocationWaitersTest, AnotherLocationsChangeDoesNotAnswer) {
  WaitersDone done;
  waiters_.wait("a", waiters_in_state(LocationState::kStopped), std::chrono::seconds(60),
                done.callback());
  stop_and_reap("b");
  EXPECT_EQ(supervisor_.find("b")->state(), LocationState::kStopped);
  EXPECT_EQ(done.calls, 0);
  stop_and_reap("a");
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.location, supervisor_.find("a"));
}

TEST_F(LocationWaitersTest, DeadlineAnswersWithNull) {
  WaitersDone done;
  waiters_.wait("a", waiters_in_state(LocationState::kLoaded), std::chrono::milliseconds(1),
                done.callback());
  EXPECT_EQ(done.calls, 0);
  ASSERT_TRUE(run_until_done(done));
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.location, nullptr);
  // Not answered again when the location settles later.
  stop_and_reap("a");
  EXPECT_EQ(done.calls, 1);
}

TEST_F(LocationWaitersTest, SeveralWaitersOnOneLocationAreEachAnsweredOnce) {
  WaitersDone stopped_first;
  WaitersDone stopped_second;
  WaitersDone loaded;
  waiters_.wait("a", waiters_in_state(LocationState::kStopped), std::chrono::seconds(60),
                stopped_first.callback());
  waiters_.wait("a", waiters_in_state(LocationState::kStopped), std::chrono::seconds(60),
                stopped_second.callback());
  waiters_.wait("a", waiters_in_state(LocationState::kLoaded), std::chrono::seconds(60),
                loaded.callback());
  stop_and_reap("a");
  EXPECT_EQ(stopped_first.calls, 1);
  EXPECT_EQ(stopped_second.calls, 1);
  EXPECT_EQ(loaded.calls, 0);
}

TEST_F(LocationWaitersTest, LocationLeavingTheWorkspaceAnswersWithNull) {
  WaitersDone done;
  waiters_.wait("a", waiters_in_state(LocationState::kLoaded), std::chrono::seconds(60),
                done.callback());
  WaitersDone other;
  waiters_.wait("b", waiters_in_state(LocationState::kLoaded), std::chrono::seconds(60),
                other.callback());
  supervisor_.apply({{}, {waiters_command_spec("b")}});
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.location, nullptr);
  EXPECT_EQ(other.calls, 0) << "an unchanged location's waiter keeps waiting";
}

TEST(LocationWaiters, DestroyedWithAPendingWaiterAnswersNothingAtItsDeadline) {
  boost::asio::io_context io;
  testing::FakeClock clock;
  FakeWaitersLauncher launcher;
  testing::FakeProcessSignals signals;
  config::Settings settings = config::Settings::defaults({}, 1000);
  Supervisor supervisor{io, clock, launcher, settings, LocationOptions{}, signals};
  supervisor.apply({{}, {waiters_command_spec("a")}});
  WaitersDone done;
  {
    LocationWaiters waiters{io, supervisor};
    waiters.wait("a", waiters_in_state(LocationState::kLoaded), std::chrono::milliseconds(1),
                 done.callback());
  }
  ASSERT_TRUE(waiters_run_past(io, std::chrono::milliseconds(50)));
  EXPECT_EQ(done.calls, 0);
}

}  // namespace
}  // namespace codeloc::daemon
