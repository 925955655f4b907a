// Which variables keep a location from being forked, and a fork server's environment.
#include "daemon/processes/startup_variables.h"

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

TEST(StartupVariables, OnlyThoseTheInterpreterReadsAtStartCount) {
  std::vector<std::string> server{"PATH=/bin", "PYTHONUNBUFFERED=1", "LD_LIBRARY_PATH=/x"};
  EXPECT_EQ(startup_variable_difference({"PATH=/usr/bin", "LD_LIBRARY_PATH=/x", "HOME=/h",
                                         "PYTHONPATH=/lib", "PYTHONUNBUFFERED=1"},
                                        server),
            "");
  EXPECT_EQ(startup_variable_difference({"LD_LIBRARY_PATH=/x", "PYTHONHASHSEED=0"}, server),
            "PYTHONHASHSEED");
  EXPECT_EQ(startup_variable_difference({"LD_LIBRARY_PATH=/y"}, server), "LD_LIBRARY_PATH");
  EXPECT_EQ(startup_variable_difference({}, server), "LD_LIBRARY_PATH")
      << "a variable the server has and the location lacks differs too";
}

TEST(StartupVariables, ThePythonPathAndRunTimeSettingsAreTheLocationsOwn) {
  EXPECT_TRUE(is_startup_variable("PYTHONHASHSEED"));
  EXPECT_TRUE(is_startup_variable("PYTHONOPTIMIZE"));
  EXPECT_TRUE(is_startup_variable("LD_PRELOAD"));
  EXPECT_FALSE(is_startup_variable("PYTHONPATH"));
  EXPECT_FALSE(is_startup_variable("PYTHONUNBUFFERED"));
  EXPECT_FALSE(is_startup_variable("PYTHONDONTWRITEBYTECODE"));
  EXPECT_FALSE(is_startup_variable("PATH"));
  EXPECT_FALSE(is_startup_variable("MYPYTHONHOME")) << "a prefix, not a substring";
}

TEST(StartupVariables, AForkServersEnvironmentIsTheDaemonsForItsChannel) {
  std::string entries[] = {"PATH=/bin",          "NOTIFY_SOCKET=/run/systemd/notify",
                           "PYTHONUNBUFFERED=0", "CODELOC_CHANNEL_FD=9",
                           "not-a-variable",     "HOME=/h"};
  char* env[] = {entries[0].data(),
                 entries[1].data(),
                 entries[2].data(),
                 entries[3].data(),
                 entries[4].data(),
                 entries[5].data(),
                 nullptr};
  EXPECT_EQ(fork_server_environment(env),
            (std::vector<std::string>{"PATH=/bin", "HOME=/h", "PYTHONUNBUFFERED=1",
                                      "CODELOC_CHANNEL_FD=3"}));
}

}  // namespace
}  // namespace codeloc::daemon
