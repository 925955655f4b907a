#include "workspace/location_spec.h"

#include <gtest/gtest.h>

namespace codeloc::workspace {
namespace {

TEST(SourcePos, FormatsFileLineColumn) {
  EXPECT_EQ((SourcePos{"workspace.yaml", 12, 5}).str(), "workspace.yaml:12:5");
  EXPECT_EQ((SourcePos{"workspace.yaml", 0, 0}).str(), "workspace.yaml");
}

TEST(LocationSpec, OnlyPythonKindsAndCommandStartProcesses) {
  LocationSpec spec;
  for (auto kind :
       {LocationKind::kPythonFile, LocationKind::kPythonModule, LocationKind::kPythonPackage,
        LocationKind::kAutoloadDefsModule, LocationKind::kCommand}) {
    spec.kind = kind;
    EXPECT_TRUE(spec.starts_process()) << kind_name(kind);
  }
  for (auto kind : {LocationKind::kGrpcServer, LocationKind::kCodeServer}) {
    spec.kind = kind;
    EXPECT_FALSE(spec.starts_process()) << kind_name(kind);
  }
}

}  // namespace
}  // namespace codeloc::workspace
