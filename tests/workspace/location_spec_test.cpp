#include "workspace/location_spec.h"

#include <gtest/gtest.h>

namespace codeloc::workspace {
namespace {

TEST(SourcePos, FormatsFileLineColumn) {
  EXPECT_EQ((SourcePos{"workspace.yaml", 12, 5}).str(), "workspace.yaml:12:5");
  EXPECT_EQ((SourcePos{"workspace.yaml", 0, 0}).str(), "workspace.yaml");
}

TEST(LocationSpec, EveryKindButCodeServerStartsAProcess) {
  LocationSpec spec;
  for (auto kind :
       {LocationKind::kPythonFile, LocationKind::kPythonModule, LocationKind::kPythonPackage,
        LocationKind::kAutoloadDefsModule, LocationKind::kCommand, LocationKind::kGrpcServer}) {
    spec.kind = kind;
    EXPECT_TRUE(spec.starts_process()) << kind_name(kind);
  }
  spec.kind = LocationKind::kCodeServer;
  EXPECT_FALSE(spec.starts_process());
}

}  // namespace
}  // namespace codeloc::workspace
