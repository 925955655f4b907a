#include "daemon/watching/timers.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/daemon/watching/manual_time.h"
#include "tests/ipc/test_loop.h"

namespace codeloc::daemon {
namespace {

using std::chrono::milliseconds;

// Two timers armed with no delay have both expired when the loop first runs, so the first one's
// callback runs while the second one's completion is already queued: what it does to the second
// must still hold.
class AsioTimersTest : public ::testing::Test {
 protected:
  bool run_until_fired(const std::vector<std::string>& want) {
    return ipc::testing::run_until(
        io_, [&] { return fired_.size() >= want.size(); }, std::chrono::seconds(10));
  }
  boost::asio::io_context io_;
  AsioTimers timers_{io_};
  std::vector<std::string> fired_;
};

TEST_F(AsioTimersTest, FiresOnceFromTheLoopNeverInsideArm) {
  auto timer = timers_.make_timer();
  timer->arm(milliseconds(0), [&] { fired_.push_back("a"); });
  EXPECT_TRUE(fired_.empty());
  ASSERT_TRUE(run_until_fired({"a"}));
  io_.restart();
  io_.poll();
  EXPECT_EQ(fired_, std::vector<std::string>{"a"});
}

TEST_F(AsioTimersTest, CancelAfterExpiryStopsAQueuedCallback) {
  auto first = timers_.make_timer();
  auto second = timers_.make_timer();
  first->arm(milliseconds(0), [&] {
    fired_.push_back("first");
    second->cancel();
  });
  second->arm(milliseconds(0), [&] { fired_.push_back("second"); });
  ASSERT_TRUE(run_until_fired({"first"}));
  io_.restart();
  io_.poll();
  EXPECT_EQ(fired_, std::vector<std::string>{"first"});
}

TEST_F(AsioTimersTest, DestroyAfterExpiryStopsAQueuedCallback) {
  auto first = timers_.make_timer();
  auto second = timers_.make_timer();
  first->arm(milliseconds(0), [&] {
    fired_.push_back("first");
    second.reset();
  });
  second->arm(milliseconds(0), [&] { fired_.push_back("second"); });
  ASSERT_TRUE(run_until_fired({"first"}));
  io_.restart();
  io_.poll();
  EXPECT_EQ(fired_, std::vector<std::string>{"first"});
}

TEST_F(AsioTimersTest, ArmingAgainAfterExpiryRunsOnlyTheNewCallback) {
  auto first = timers_.make_timer();
  auto second = timers_.make_timer();
  first->arm(milliseconds(0), [&] {
    fired_.push_back("first");
    second->arm(milliseconds(0), [&] { fired_.push_back("second again"); });
  });
  second->arm(milliseconds(0), [&] { fired_.push_back("second"); });
  ASSERT_TRUE(run_until_fired({"first", "second again"}));
  io_.restart();
  io_.poll();
  EXPECT_EQ(fired_, (std::vector<std::string>{"first", "second again"}));
}

TEST_F(AsioTimersTest, CallbackMayDestroyItsOwnTimer) {
  auto timer = timers_.make_timer();
  timer->arm(milliseconds(0), [&] {
    fired_.push_back("a");
    timer.reset();
  });
  ASSERT_TRUE(run_until_fired({"a"}));
  EXPECT_EQ(timer, nullptr);
}

TEST(ManualTime, AdvanceFiresDueTimersInOrderAtTheirDueTime) {
  testing::ManualTime time;
  const Clock::TimePoint start = time.now();
  std::vector<std::pair<std::string, Clock::TimePoint::duration>> fired;
  auto a = time.make_timer();
  auto b = time.make_timer();
  auto c = time.make_timer();
  a->arm(milliseconds(30), [&] {
    fired.emplace_back("a", time.now() - start);
    a->arm(milliseconds(5), [&] { fired.emplace_back("a again", time.now() - start); });
  });
  b->arm(milliseconds(10), [&] { fired.emplace_back("b", time.now() - start); });
  c->arm(milliseconds(50), [&] { fired.emplace_back("c", time.now() - start); });
  EXPECT_EQ(time.next_due(), start + milliseconds(10));
  time.advance(milliseconds(40));
  EXPECT_EQ(time.now(), start + milliseconds(40));
  EXPECT_EQ(fired,
            (std::vector<std::pair<std::string, Clock::TimePoint::duration>>{
                {"b", milliseconds(10)}, {"a", milliseconds(30)}, {"a again", milliseconds(35)}}));
  c->cancel();
  time.advance(milliseconds(100));
  EXPECT_EQ(fired.size(), 3u);
  EXPECT_EQ(time.next_due(), std::nullopt);
}

TEST(ManualTime, ArmingAgainReplacesAndDestroyingCancels) {
  testing::ManualTime time;
  std::vector<std::string> fired;
  auto a = time.make_timer();
  auto b = time.make_timer();
  a->arm(milliseconds(10), [&] { fired.push_back("a"); });
  a->arm(milliseconds(20), [&] { fired.push_back("a replaced"); });
  b->arm(milliseconds(0), [&] {
    fired.push_back("b");
    b.reset();
  });
  time.advance(milliseconds(0));
  EXPECT_EQ(fired, std::vector<std::string>{"b"});
  time.advance(milliseconds(10));
  EXPECT_EQ(fired, std::vector<std::string>{"b"});
  time.advance(milliseconds(10));
  EXPECT_EQ(fired, (std::vector<std::string>{"b", "a replaced"}));
  auto c = time.make_timer();
  c->arm(milliseconds(1), [&] { fired.push_back("c"); });
  c.reset();
  time.advance(milliseconds(5));
  EXPECT_EQ(fired.size(), 2u);
}

}  // namespace
}  // namespace codeloc::daemon
