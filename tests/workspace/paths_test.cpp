#include "workspace/paths.h"

#include <gtest/gtest.h>

namespace codeloc::workspace {
namespace {

TEST(ResolvePath, AnchorsRelativePathsToTheFolder) {
  EXPECT_EQ(resolve_path("/ws", "defs.py"), "/ws/defs.py");
  EXPECT_EQ(resolve_path("/ws", "src/../defs.py"), "/ws/defs.py");
  EXPECT_EQ(resolve_path("/ws", "."), "/ws");
  EXPECT_EQ(resolve_path("/ws", "sub/"), "/ws/sub");
  EXPECT_EQ(resolve_path("/ws", "/opt/code"), "/opt/code");
  EXPECT_EQ(resolve_path("/ws", "/"), "/");
  EXPECT_EQ(resolve_path("/ws", "src/**/*.py"), "/ws/src/**/*.py");
}

}  // namespace
}  // namespace codeloc::workspace
