#include "config/settings_loader.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace codeloc::config {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class SettingsLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("codeloc-settings-loader-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    sources_.cwd = dir_;
    sources_.uid = 1000;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  std::filesystem::path dir_;
  SettingsSources sources_;
};

TEST_F(SettingsLoader, ReadsTheFileNamedByTheFlag) {
  write("codeloc.yaml", "stop_timeout: 3s\n");
  SettingsResult result = load_settings(sources_, "codeloc.yaml");
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.settings.restart_defaults.stop_timeout, milliseconds(3'000));
}

TEST_F(SettingsLoader, FlagNamesTheFileBeforeTheVariable) {
  write("a.yaml", "ping_misses: 7\n");
  write("b.yaml", "ping_misses: 8\n");
  sources_.environment["CODELOC_CONFIG"] = "b.yaml";
  EXPECT_EQ(load_settings(sources_, "a.yaml").settings.ping_misses, 7u);
  EXPECT_EQ(load_settings(sources_, std::nullopt).settings.ping_misses, 8u);
}

TEST_F(SettingsLoader, ReadsNoFileWhenNoneIsNamed) {
  EXPECT_EQ(config_file_path(std::nullopt, {}), std::nullopt);
  EXPECT_EQ(config_file_path(std::string(), {{"CODELOC_CONFIG", ""}}), std::nullopt);
  SettingsResult result = load_settings(sources_, std::nullopt);
  EXPECT_THAT(result.errors, IsEmpty());
}

TEST_F(SettingsLoader, ErrorsInTheFileNameItAsGiven) {
  write("codeloc.yaml", "\nstop_timout: 5s\n");
  SettingsResult result = load_settings(sources_, "./codeloc.yaml");
  EXPECT_THAT(result.errors, ElementsAre("./codeloc.yaml:2:1: unknown setting 'stop_timout' "
                                         "(did you mean 'stop_timeout'?)"));
}

TEST_F(SettingsLoader, AMissingFileIsAnErrorAndTheRestIsStillChecked) {
  sources_.environment["CODELOC_WATCH"] = "perhaps";
  SettingsResult result = load_settings(sources_, "missing.yaml");
  EXPECT_THAT(result.errors,
              ElementsAre("missing.yaml: cannot read config file: No such file or directory",
                          "CODELOC_WATCH: expected true or false, got 'perhaps'"));
}

TEST_F(SettingsLoader, CapturesTheProcessEnvironment) {
  ::setenv("CODELOC_TEST_LOADER_VARIABLE", "a=b", 1);
  Environment environment = current_environment();
  ::unsetenv("CODELOC_TEST_LOADER_VARIABLE");
  EXPECT_EQ(environment["CODELOC_TEST_LOADER_VARIABLE"], "a=b");
}

}  // namespace
}  // namespace codeloc::config
