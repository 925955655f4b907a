#include "workspace/workspace_loader.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/workspace/parse_helpers.h"

namespace codeloc::workspace {
namespace {

using Errors = std::vector<std::string>;

// Files held in memory, keyed by absolute path.
WorkspaceLoader::FileReader fake_files(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::filesystem::path& path,
                                    std::string* error) -> std::optional<std::string> {
    auto it = files.find(path.string());
    if (it == files.end()) {
      *error = "No such file or directory";
      return std::nullopt;
    }
    return it->second;
  };
}

using testing::make_spec;

std::vector<std::string> names(const Workspace& workspace) {
  std::vector<std::string> out;
  for (const auto& location : workspace.locations)
    out.push_back(location.name);
  return out;
}

Errors errors_of(const LoadResult& result) {
  Errors out;
  for (const auto& d : result.diagnostics)
    out.push_back(d.str());
  return out;
}

TEST(WorkspaceLoader, LaterFileReplacesSameNameKeepingItsPosition) {
  WorkspaceLoader loader(
      testing::fake_env({}),
      fake_files({{"/a/base.yaml",
                   "load_from:\n  - python_module: one\n"
                   "  - python_module: {module_name: two, attribute: x, "
                   "location_name: two}\n"
                   "  - python_module: three\n"},
                  {"/b/override.yaml",
                   "load_from:\n  - python_module: four\n"
                   "  - python_module: {module_name: pkg2, location_name: two}\n"}}));
  LoadResult result = loader.load({"/a/base.yaml", "/b/override.yaml"});
  ASSERT_TRUE(result.workspace) << errors_of(result).front();
  EXPECT_EQ(names(*result.workspace), (std::vector<std::string>{"one", "two", "three", "four"}));
  const LocationSpec* two = result.workspace->find("two");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->target, "pkg2");
  EXPECT_EQ(two->attribute, std::nullopt);
  EXPECT_EQ(two->origin, (SourcePos{"/b/override.yaml", 3, 5}));
  EXPECT_EQ(two->working_directory, "/b");  // the folder of the file that defined it
  EXPECT_EQ(result.workspace->files,
            (std::vector<std::filesystem::path>{"/a/base.yaml", "/b/override.yaml"}));
}

TEST(WorkspaceLoader, ReportsErrorsOfEveryFileAndNoWorkspace) {
  WorkspaceLoader loader(testing::fake_env({}),
                         fake_files({{"/a/one.yaml", "load_from:\n  - python_modul: m\n"},
                                     {"/a/two.yaml", "load_from:\n  - grpc_server: {}\n"}}));
  LoadResult result = loader.load({"/a/one.yaml", "/a/missing.yaml", "/a/two.yaml"});
  EXPECT_FALSE(result.workspace);
  EXPECT_EQ(errors_of(result),
            (Errors{"/a/one.yaml:2:5: unknown location type 'python_modul' (did you mean "
                    "'python_module'?)",
                    "/a/missing.yaml: cannot read the workspace file: No such file or directory",
                    "/a/two.yaml:2:5: grpc_server needs exactly one of 'port' and 'socket', got "
                    "neither"}));
}

TEST(WorkspaceLoader, PositionsUseTheFileNameAsGivenAndPathsItsAbsoluteFolder) {
  WorkspaceLoader loader(testing::fake_env({}),
                         fake_files({{(std::filesystem::current_path() / "ws/w.yaml").string(),
                                      "load_from:\n  - python_file: d.py\n  - python_file: x\n"
                                      "    bad: 1\n"}}));
  LoadResult result = loader.load({"ws/w.yaml"});
  EXPECT_EQ(errors_of(result), Errors{"ws/w.yaml:4:5: unknown key 'bad' beside 'python_file' (an "
                                      "entry holds exactly one location type)"});
  LoadResult ok =
      WorkspaceLoader(testing::fake_env({}),
                      fake_files({{(std::filesystem::current_path() / "ws/w.yaml").string(),
                                   "load_from:\n  - python_file: d.py\n"}}))
          .load({"ws/w.yaml"});
  ASSERT_TRUE(ok.workspace);
  EXPECT_EQ(ok.workspace->locations[0].target,
            (std::filesystem::current_path() / "ws/d.py").string());
}

TEST(WorkspaceLoader, MergeAppendsNewNamesAndReplacesKnownOnes) {
  Workspace workspace;
  LocationSpec a = make_spec("a");
  a.target = "1";
  LocationSpec b = make_spec("b");
  WorkspaceLoader::merge({a, b}, &workspace);
  LocationSpec a2 = make_spec("a");
  a2.target = "2";
  LocationSpec c = make_spec("c");
  WorkspaceLoader::merge({c, a2}, &workspace);
  EXPECT_EQ(names(workspace), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(workspace.locations[0].target, "2");
}

TEST(WorkspaceLoader, ReadsRealFilesAndReportsUnreadableOnes) {
  auto dir = std::filesystem::temp_directory_path() /
             ("codeloc_loader_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "workspace.yaml") << "load_from:\n  - python_module: m\n";
  std::string error;
  EXPECT_EQ(WorkspaceLoader::read_file(dir / "workspace.yaml", &error),
            "load_from:\n  - python_module: m\n");
  EXPECT_EQ(WorkspaceLoader::read_file(dir / "nope.yaml", &error), std::nullopt);
  EXPECT_EQ(error, "No such file or directory");
  EXPECT_EQ(WorkspaceLoader::read_file(dir, &error), std::nullopt);
  EXPECT_EQ(error, "it is a directory");
  LoadResult result =
      WorkspaceLoader(testing::fake_env({})).load({(dir / "workspace.yaml").string()});
  ASSERT_TRUE(result.workspace);
  EXPECT_EQ(result.workspace->locations.at(0).working_directory, dir);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace codeloc::workspace
