#include "daemon/supervision/child_set.h"

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

std::unique_ptr<LocationChild> with_pid(ChildSet& set, pid_t pid) {
  auto child = set.make();
  child->pid = pid;
  return child;
}

TEST(ChildSet, HandsOutIncreasingIds) {
  ChildSet set;
  EXPECT_EQ(set.make()->id, 1u);
  EXPECT_EQ(set.make()->id, 2u);
}

TEST(ChildSet, PromotionMakesTheCandidateCurrentAndReturnsThePrevious) {
  ChildSet set;
  set.set_current(with_pid(set, 10));
  set.set_candidate(with_pid(set, 20));
  EXPECT_TRUE(set.is_current(1));
  EXPECT_TRUE(set.is_candidate(2));
  std::unique_ptr<LocationChild> previous = set.promote();
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->pid, 10);
  ASSERT_TRUE(set.current());
  EXPECT_EQ(set.current()->pid, 20);
  EXPECT_EQ(set.candidate(), nullptr);
  EXPECT_TRUE(set.is_current(2));
  EXPECT_FALSE(set.is_candidate(2));
}

TEST(ChildSet, PromotionWithoutACurrentChildReturnsNothing) {
  ChildSet set;
  set.set_candidate(with_pid(set, 20));
  EXPECT_EQ(set.promote(), nullptr);
  EXPECT_EQ(set.current()->pid, 20);
}

TEST(ChildSet, FindsEveryChildByPidWithItsRole) {
  ChildSet set;
  set.set_current(with_pid(set, 10));
  set.set_candidate(with_pid(set, 20));
  set.add_retired(with_pid(set, 30));
  ChildSet::Role role;
  EXPECT_EQ(set.find_pid(10, &role)->id, 1u);
  EXPECT_EQ(role, ChildSet::Role::kCurrent);
  EXPECT_EQ(set.find_pid(20, &role)->id, 2u);
  EXPECT_EQ(role, ChildSet::Role::kCandidate);
  EXPECT_EQ(set.find_pid(30, &role)->id, 3u);
  EXPECT_EQ(role, ChildSet::Role::kRetired);
  EXPECT_EQ(set.find_pid(40, &role), nullptr);
  EXPECT_EQ(role, ChildSet::Role::kNone);
  EXPECT_EQ(set.find_pid(-1, &role), nullptr) << "children without a process have no pid";
  EXPECT_EQ(set.role_of(set.current()), ChildSet::Role::kCurrent);
  EXPECT_EQ(set.role_of(set.retired().front().get()), ChildSet::Role::kRetired);
}

TEST(ChildSet, FindsByIdAmongActiveOrRetiredChildren) {
  ChildSet set;
  set.set_current(with_pid(set, 10));
  set.add_retired(with_pid(set, 30));
  EXPECT_EQ(set.find_active(1), set.current());
  EXPECT_EQ(set.find_active(2), nullptr) << "a retired child is not active";
  EXPECT_EQ(set.find_retired(2), set.retired().front().get());
  EXPECT_EQ(set.find_retired(1), nullptr);
}

TEST(ChildSet, DrainingListsRetiredChildrenStillFinishingRuns) {
  ChildSet set;
  auto draining = with_pid(set, 30);
  draining->draining = true;
  auto exited = with_pid(set, 31);
  exited->draining = true;
  exited->exited = true;
  set.add_retired(std::move(draining));
  set.add_retired(std::move(exited));
  set.add_retired(with_pid(set, 32));
  EXPECT_EQ(set.draining(), (std::vector<pid_t>{30}));
}

TEST(ChildSet, DropsRetiredChildrenOnceGone) {
  ChildSet set;
  set.add_retired(with_pid(set, 30));
  set.add_retired(with_pid(set, 31));
  set.retired()[0]->exited = true;
  set.drop_retired([](const LocationChild& child) { return child.exited; });
  ASSERT_EQ(set.retired().size(), 1u);
  EXPECT_EQ(set.retired()[0]->pid, 31);
}

TEST(ChildSet, VisitsCurrentCandidateThenRetired) {
  ChildSet set;
  set.add_retired(with_pid(set, 30));
  set.set_candidate(with_pid(set, 20));
  set.set_current(with_pid(set, 10));
  std::vector<pid_t> order;
  set.for_each([&](LocationChild& child) { order.push_back(child.pid); });
  EXPECT_EQ(order, (std::vector<pid_t>{10, 20, 30}));
  EXPECT_TRUE(set.all_of([](const LocationChild& child) { return child.pid > 0; }));
  EXPECT_FALSE(set.all_of([](const LocationChild& child) { return child.pid < 30; }));
}

TEST(ChildSet, TakingTheCurrentChildLeavesNone) {
  ChildSet set;
  set.set_current(with_pid(set, 10));
  std::unique_ptr<LocationChild> taken = set.take_current();
  EXPECT_EQ(taken->pid, 10);
  EXPECT_EQ(set.current(), nullptr);
  EXPECT_EQ(set.take_candidate(), nullptr);
}

}  // namespace
}  // namespace codeloc::daemon
