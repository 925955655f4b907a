#include <gtest/gtest.h>

#include "daemon/control/control_server.h"

namespace codeloc::daemon {
namespace {

TEST(PeerPolicy, AllowsOwnerAndRootOnlyWithoutAGroup) {
  PeerPolicy policy{1000, std::nullopt};
  EXPECT_TRUE(policy.allows(1000, 1000, {}));
  EXPECT_TRUE(policy.allows(0, 0, {}));
  EXPECT_FALSE(policy.allows(1001, 1000, {1000}));
}

TEST(PeerPolicy, AllowsMembersOfTheSocketGroupByPrimaryOrSupplementaryGroup) {
  PeerPolicy policy{1000, 500};
  EXPECT_TRUE(policy.allows(1001, 500, {}));
  EXPECT_TRUE(policy.allows(1002, 100, {100, 500}));
  EXPECT_FALSE(policy.allows(1003, 100, {100, 200}));
}

}  // namespace
}  // namespace codeloc::daemon
