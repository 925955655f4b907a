#include "daemon/supervision/launch_plan.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

using workspace::LocationKind;
using workspace::LocationSpec;
using Args = std::vector<std::string>;

LocationOptions options() {
  LocationOptions options;
  options.code_server = "/opt/codeloc_server";
  options.default_python = "python3";
  return options;
}

LocationSpec python(LocationKind kind, const std::string& target) {
  LocationSpec spec;
  spec.name = "loc";
  spec.kind = kind;
  spec.target = target;
  return spec;
}

bool has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

bool has_key(const std::vector<std::string>& env, const std::string& key) {
  return std::any_of(env.begin(), env.end(),
                     [&](const std::string& e) { return e.rfind(key + "=", 0) == 0; });
}

TEST(LaunchPlan, CommandEntryRunsItsArgvAsWritten) {
  LocationSpec spec;
  spec.name = "cmd";
  spec.kind = LocationKind::kCommand;
  spec.argv = {"/bin/server", "--flag"};
  spec.working_directory = "/srv";
  LaunchSpec launch = launch_plan(spec, options(), {"tok", ""}, {});
  EXPECT_EQ(launch.argv, (Args{"/bin/server", "--flag"}));
  EXPECT_EQ(launch.working_directory, "/srv");
  EXPECT_FALSE(launch.warm) << "only Python kinds are forked warm";
  EXPECT_EQ(launch.channel_fd, -1);
  EXPECT_FALSE(has(launch.env, "PYTHONUNBUFFERED=1"));
}

TEST(LaunchPlan, EachPythonKindNamesItsTarget) {
  struct Case {
    LocationKind kind;
    const char* flag;
  } cases[] = {{LocationKind::kPythonFile, "--python-file"},
               {LocationKind::kPythonModule, "--module"},
               {LocationKind::kPythonPackage, "--package"},
               {LocationKind::kAutoloadDefsModule, "--autoload-defs-module"}};
  for (const Case& c : cases) {
    LocationSpec spec = python(c.kind, "defs");
    EXPECT_EQ(child_argv(spec, options(), ""),
              (Args{"python3", "/opt/codeloc_server", "--location", "loc", c.flag, "defs"}))
        << c.flag;
  }
}

TEST(LaunchPlan, PythonArgvCarriesInterpreterAttributeDirectoryAndGrpcSocket) {
  LocationSpec spec = python(LocationKind::kPythonFile, "/w/defs.py");
  spec.executable_path = "/venv/bin/python";
  spec.attribute = "defs";
  spec.working_directory = "/w";
  EXPECT_EQ(child_argv(spec, options(), "/state/dagster/loc-3.sock"),
            (Args{"/venv/bin/python", "/opt/codeloc_server", "--location", "loc", "--python-file",
                  "/w/defs.py", "--attribute", "defs", "--working-directory", "/w",
                  "--dagster-grpc-socket", "/state/dagster/loc-3.sock"}));
}

TEST(LaunchPlan, GrpcServerEntryAttachesBySocketOrHostAndPort) {
  LocationSpec spec;
  spec.name = "remote";
  spec.kind = LocationKind::kGrpcServer;
  spec.host = "example.org";
  spec.port = 4266;
  EXPECT_EQ(child_argv(spec, options(), ""),
            (Args{"python3", "/opt/codeloc_server", "--location", "remote", "--attach-grpc",
                  "--grpc-host", "example.org", "--grpc-port", "4266"}));
  spec.socket = "/run/dagster.sock";
  EXPECT_EQ(child_argv(spec, options(), ""),
            (Args{"python3", "/opt/codeloc_server", "--location", "remote", "--attach-grpc",
                  "--grpc-socket", "/run/dagster.sock"}));
  spec.additional_metadata = {{"team", "data"}};
  std::vector<std::string> env = child_env(spec, options(), {"tok", ""}, {});
  EXPECT_TRUE(has(env, "PYTHONUNBUFFERED=1"));
  EXPECT_TRUE(has(env, R"(CODELOC_GRPC_METADATA={"team":"data"})"));
}

TEST(LaunchPlan, WarmFollowsTheEntryOverTheDaemonDefault) {
  LocationSpec spec = python(LocationKind::kPythonModule, "m");
  LocationOptions opts = options();
  EXPECT_TRUE(launch_plan(spec, opts, {}, {}).warm);
  spec.warm = false;
  EXPECT_FALSE(launch_plan(spec, opts, {}, {}).warm);
  opts.warm = false;
  spec.warm = true;
  EXPECT_TRUE(launch_plan(spec, opts, {}, {}).warm);
  spec.warm.reset();
  EXPECT_FALSE(launch_plan(spec, opts, {}, {}).warm);
}

TEST(LaunchPlan, EnvironmentInheritsTheDaemonsLessServiceManagerVariables) {
  LocationSpec spec = python(LocationKind::kPythonModule, "m");
  std::vector<std::string> daemon_env{"PATH=/usr/bin", "NOTIFY_SOCKET=/run/systemd/notify",
                                      "WATCHDOG_USEC=1000", "HOME=/root", "BROKEN"};
  std::vector<std::string> env = child_env(spec, options(), {"tok", ""}, daemon_env);
  EXPECT_TRUE(has(env, "PATH=/usr/bin"));
  EXPECT_TRUE(has(env, "HOME=/root"));
  EXPECT_FALSE(has_key(env, "NOTIFY_SOCKET"));
  EXPECT_FALSE(has_key(env, "WATCHDOG_USEC"));
  EXPECT_FALSE(has(env, "BROKEN"));
  EXPECT_TRUE(std::is_sorted(env.begin(), env.end()));

  spec.inherit_env = false;
  env = child_env(spec, options(), {"tok", ""}, daemon_env);
  EXPECT_FALSE(has_key(env, "PATH"));
  EXPECT_FALSE(has_key(env, "HOME"));
}

TEST(LaunchPlan, EntryEnvOverridesButCodelocVariablesWin) {
  LocationSpec spec = python(LocationKind::kPythonModule, "m");
  spec.env = {{"PATH", "/venv/bin"}, {"CODELOC_LOCATION", "spoofed"}, {"GREETING", "hi"}};
  LocationOptions opts = options();
  opts.control_socket = "/run/codeloc.sock";
  std::vector<std::string> env =
      child_env(spec, opts, {"123-loc-7", ""}, {"PATH=/usr/bin", "CODELOC_INSTANCE=old"});
  EXPECT_TRUE(has(env, "PATH=/venv/bin"));
  EXPECT_TRUE(has(env, "GREETING=hi"));
  EXPECT_TRUE(has(env, "PYTHONUNBUFFERED=1"));
  EXPECT_TRUE(has(env, "CODELOC_LOCATION=loc"));
  EXPECT_TRUE(has(env, "CODELOC_CHANNEL_FD=3"));
  EXPECT_TRUE(has(env, "CODELOC_PROTOCOL=1"));
  EXPECT_TRUE(has(env, "CODELOC_INSTANCE=123-loc-7"));
  EXPECT_TRUE(has(env, "CODELOC_SOCKET=/run/codeloc.sock"));
  EXPECT_FALSE(has(env, "CODELOC_LOCATION=spoofed"));
  EXPECT_FALSE(has(env, "CODELOC_INSTANCE=old"));
}

TEST(LaunchPlan, NoControlSocketNoCodelocSocketVariable) {
  LocationSpec spec = python(LocationKind::kPythonModule, "m");
  EXPECT_FALSE(has_key(child_env(spec, options(), {"t", ""}, {}), "CODELOC_SOCKET"));
}

TEST(LaunchPlan, InstanceTokenNamesDaemonLocationAndChild) {
  EXPECT_EQ(instance_token(42, "assets", 3), "42-assets-3");
}

TEST(LaunchPlan, PythonKindsCannotLaunchWithoutTheCodeServer) {
  LocationOptions opts = options();
  LocationSpec spec = python(LocationKind::kPythonFile, "f.py");
  EXPECT_EQ(cannot_launch_reason(spec, opts), "");
  opts.code_server.clear();
  EXPECT_NE(cannot_launch_reason(spec, opts).find("CODELOC_CODE_SERVER"), std::string::npos);
  spec.kind = LocationKind::kGrpcServer;
  EXPECT_NE(cannot_launch_reason(spec, opts), "");
  spec.kind = LocationKind::kCommand;
  EXPECT_EQ(cannot_launch_reason(spec, opts), "");
}

}  // namespace
}  // namespace codeloc::daemon
