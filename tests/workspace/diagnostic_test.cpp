#include "workspace/diagnostic.h"

#include <gtest/gtest.h>

namespace codeloc::workspace {
namespace {

TEST(Diagnostic, FormatsFileLineColumnMessage) {
  EXPECT_EQ((Diagnostic{{"workspace.yaml", 12, 5}, "unknown key 'x'"}).str(),
            "workspace.yaml:12:5: unknown key 'x'");
  EXPECT_EQ((Diagnostic{{"missing.yaml", 0, 0}, "cannot read"}).str(), "missing.yaml: cannot read");
}

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("relative_pth", "relative_path"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("attribute", "attribute"), 0u);
  EXPECT_EQ(edit_distance("relaitve_path", "relative_path"), 1u) << "a transposition is one typo";
  EXPECT_EQ(edit_distance("Module_Name", "module_name"), 0u) << "case is not a typo";
}

TEST(Nearest, SuggestsOnlyPlausibleTypos) {
  std::vector<std::string_view> keys{"relative_path", "attribute", "location_name"};
  EXPECT_EQ(nearest("relative_pth", keys), "relative_path");
  EXPECT_EQ(nearest("atribute", keys), "attribute");
  EXPECT_EQ(nearest("locationname", keys), "location_name");
  EXPECT_EQ(nearest("banana", keys), "");
  EXPECT_EQ(nearest("x", {"y"}), "y");  // one edit is always allowed
  EXPECT_EQ(did_you_mean("atribute", keys), " (did you mean 'attribute'?)");
  EXPECT_EQ(did_you_mean("banana", keys), "");
}

}  // namespace
}  // namespace codeloc::workspace
