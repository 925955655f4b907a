#include "daemon/service/service_notifier.h"

#include <map>

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

using std::chrono::microseconds;

class FakeSender final : public NotifySender {
 public:
  void send(const std::string& message) override { messages.push_back(message); }
  std::optional<microseconds> watchdog_interval() const override { return watchdog; }
  microseconds monotonic_now() const override { return microseconds(123456789); }

  std::vector<std::string> messages;
  std::optional<microseconds> watchdog;
};

// The supervisor's side: the locations of the current workspace and their states, in order.
class Locations {
 public:
  explicit Locations(ServiceNotifier* notifier = nullptr) : notifier_(notifier) {}
  void attach(ServiceNotifier* notifier) { notifier_ = notifier; }

  void add(const std::string& name) {
    order_.push_back(name);
    states_[name] = LocationState::kStopped;
  }
  void set(const std::string& name, LocationState state) {
    states_[name] = state;
    notifier_->location_changed(name, state);
  }
  void remove(const std::string& name) {
    std::erase(order_, name);
    states_.erase(name);
  }
  std::vector<LocationState> states() const {
    std::vector<LocationState> out;
    for (const auto& name : order_)
      out.push_back(states_.at(name));
    return out;
  }

 private:
  ServiceNotifier* notifier_;
  std::vector<std::string> order_;
  std::map<std::string, LocationState> states_;
};

struct Fixture {
  FakeSender sender;
  Locations locations;
  ServiceNotifier notifier{sender, [this] { return locations.states(); }};

  Fixture() { locations.attach(&notifier); }

  // As Supervisor::apply does it for the first workspace: start each, then report the diff.
  void apply_first(const std::vector<std::string>& names) {
    for (const auto& name : names)
      locations.add(name);
    for (const auto& name : names)
      locations.set(name, LocationState::kStarting);
    workspace::WorkspaceDiff diff;
    diff.added = names;
    notifier.workspace_applied(diff);
  }
  std::vector<std::string> take() { return std::exchange(sender.messages, {}); }
};

TEST(StatusSummary, CountsEachStateThatOccursInAFixedOrder) {
  using S = LocationState;
  EXPECT_EQ(status_summary({}), "0 locations");
  EXPECT_EQ(status_summary({S::kLoaded}), "1 location: 1 loaded");
  EXPECT_EQ(status_summary({S::kLoadError, S::kLoaded, S::kLoaded, S::kLoaded}),
            "4 locations: 3 loaded, 1 load error");
  EXPECT_EQ(status_summary({S::kStopped, S::kBackoff, S::kStopping, S::kReloading, S::kStarting,
                            S::kLoadError, S::kLoaded}),
            "7 locations: 1 loaded, 1 starting, 1 reloading, 1 load error, 1 backoff, 1 stopping, "
            "1 stopped");
}

TEST(ServiceNotifier, ReadyOnlyOnceEveryLocationOfTheFirstWorkspaceWasTried) {
  Fixture f;
  f.apply_first({"a", "b", "c"});
  EXPECT_EQ(f.take(), std::vector<std::string>{"STATUS=3 locations: 3 starting"});
  f.locations.set("a", LocationState::kLoaded);
  EXPECT_FALSE(f.notifier.ready());
  f.locations.set("b", LocationState::kLoadError);
  EXPECT_FALSE(f.notifier.ready());
  f.take();
  f.locations.set("c", LocationState::kLoaded);
  EXPECT_TRUE(f.notifier.ready());
  EXPECT_EQ(f.take(),
            std::vector<std::string>{"READY=1\nSTATUS=3 locations: 2 loaded, 1 load error"});
  // Once only.
  f.locations.set("c", LocationState::kReloading);
  f.locations.set("c", LocationState::kLoaded);
  EXPECT_EQ(f.take(),
            (std::vector<std::string>{"STATUS=3 locations: 1 loaded, 1 reloading, 1 load error",
                                      "STATUS=3 locations: 2 loaded, 1 load error"}));
}

TEST(ServiceNotifier, ACrashOrAStopCountsAsTried) {
  Fixture f;
  f.apply_first({"crashy", "once"});
  f.locations.set("crashy", LocationState::kBackoff);
  f.locations.set("once", LocationState::kStopped);
  EXPECT_TRUE(f.notifier.ready());
  EXPECT_EQ(f.take().back(), "READY=1\nSTATUS=2 locations: 1 backoff, 1 stopped");
}

TEST(ServiceNotifier, LocationsTriedWhileTheFirstWorkspaceIsAppliedCount) {
  // A launch that fails at once changes state inside Supervisor::apply, before the workspace
  // is reported.
  Fixture f;
  f.locations.add("broken");
  f.locations.add("good");
  f.locations.set("broken", LocationState::kLoadError);
  f.locations.set("good", LocationState::kStarting);
  EXPECT_TRUE(f.take().empty()) << "no STATUS before the whole workspace is known";
  workspace::WorkspaceDiff diff;
  diff.added = {"broken", "good"};
  f.notifier.workspace_applied(diff);
  EXPECT_FALSE(f.notifier.ready());
  f.locations.set("good", LocationState::kLoaded);
  EXPECT_EQ(f.take().back(), "READY=1\nSTATUS=2 locations: 1 loaded, 1 load error");
}

TEST(ServiceNotifier, AnEmptyWorkspaceIsReadyAtOnce) {
  Fixture f;
  f.apply_first({});
  EXPECT_TRUE(f.notifier.ready());
  EXPECT_EQ(f.take(), std::vector<std::string>{"READY=1\nSTATUS=0 locations"});
}

TEST(ServiceNotifier, ALocationRemovedBeforeItWasTriedNoLongerHoldsReadinessBack) {
  Fixture f;
  f.apply_first({"a", "hung"});
  f.locations.set("a", LocationState::kLoaded);
  f.locations.remove("hung");
  workspace::WorkspaceDiff diff;
  diff.removed = {"hung"};
  diff.unchanged = {"a"};
  f.notifier.workspace_applied(diff);
  EXPECT_TRUE(f.notifier.ready());
  EXPECT_EQ(f.take().back(), "READY=1\nSTATUS=1 location: 1 loaded");
}

TEST(ServiceNotifier, ReloadSendsReloadingWithTheMonotonicTimeThenReady) {
  Fixture f;
  f.apply_first({"a"});
  f.locations.set("a", LocationState::kLoaded);
  f.take();
  f.notifier.reload_started();
  f.notifier.reload_finished();
  EXPECT_EQ(f.take(),
            (std::vector<std::string>{"RELOADING=1\nMONOTONIC_USEC=123456789", "READY=1"}));
}

TEST(ServiceNotifier, AReloadBeforeReadinessSendsNothingOfItsOwn) {
  Fixture f;
  f.apply_first({"a"});
  f.take();
  f.notifier.reload_started();
  f.notifier.reload_finished();
  EXPECT_TRUE(f.take().empty());
  f.locations.set("a", LocationState::kLoaded);
  EXPECT_EQ(f.take(), std::vector<std::string>{"READY=1\nSTATUS=1 location: 1 loaded"});
}

TEST(ServiceNotifier, StoppingIsSentOnceAndNoReadyFollowsIt) {
  Fixture f;
  f.apply_first({"a", "b"});
  f.locations.set("a", LocationState::kLoaded);
  f.take();
  f.notifier.stopping();
  f.notifier.stopping();
  EXPECT_EQ(f.take(), std::vector<std::string>{"STOPPING=1"});
  f.locations.set("b", LocationState::kStopped);  // tried now, but the daemon is on its way out
  f.notifier.reload_started();
  f.notifier.reload_finished();
  EXPECT_FALSE(f.notifier.ready());
  EXPECT_EQ(f.take(), std::vector<std::string>{"STATUS=2 locations: 1 loaded, 1 stopped"});
}

TEST(ServiceNotifier, AStopDuringAReloadEndsItWithoutReady) {
  Fixture f;
  f.apply_first({"a"});
  f.locations.set("a", LocationState::kLoaded);
  f.take();
  f.notifier.reload_started();
  f.notifier.stopping();
  f.notifier.reload_finished();
  EXPECT_EQ(f.take(),
            (std::vector<std::string>{"RELOADING=1\nMONOTONIC_USEC=123456789", "STOPPING=1"}));
}

TEST(ServiceNotifier, WatchdogPeriodIsHalfTheAskedInterval) {
  FakeSender sender;
  ServiceNotifier without(sender, [] { return std::vector<LocationState>{}; });
  EXPECT_EQ(without.watchdog_period(), std::nullopt);
  sender.watchdog = microseconds(200'000);
  ServiceNotifier with(sender, [] { return std::vector<LocationState>{}; });
  EXPECT_EQ(with.watchdog_period(), microseconds(100'000));
  with.watchdog_ping();
  EXPECT_EQ(sender.messages, std::vector<std::string>{"WATCHDOG=1"});
}

}  // namespace
}  // namespace codeloc::daemon
