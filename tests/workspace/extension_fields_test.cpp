// codeloc's per-entry extension keys.
#include "workspace/extension_fields.h"

#include <csignal>

#include <gtest/gtest.h>

#include "tests/workspace/parse_helpers.h"

namespace codeloc::workspace {
namespace {

using std::chrono::milliseconds;
using testing::parse_errors;
using testing::parse_one;
using Errors = std::vector<std::string>;

TEST(ExtensionFields, DefaultsLeaveEverythingToTheDaemon) {
  LocationSpec spec = parse_one("load_from:\n  - python_module: m\n");
  EXPECT_TRUE(spec.env.empty());
  EXPECT_TRUE(spec.inherit_env);
  EXPECT_EQ(spec.warm, std::nullopt);
  EXPECT_TRUE(spec.watch.empty());
  EXPECT_TRUE(spec.ignore.empty());
  EXPECT_EQ(spec.restart, RestartSpec{});
}

TEST(ExtensionFields, ReadsEveryKey) {
  LocationSpec spec = parse_one(R"(load_from:
  - python_module:
      module_name: m
      env:
        DB_URL: postgres://db
        TOKEN: {env: CI_TOKEN}
        EMPTY: ""
      inherit_env: false
      warm: false
      watch: [src, ../shared/*.py, /etc/app.toml]
      ignore: ["*.pyc", .venv]
      restart: on-failure
      backoff: {initial: 500ms, max: 1m, reset_after: 5m}
      startup_timeout: 90s
      stop_timeout: 10
      stop_signal: SIGINT
)",
                                {{"CI_TOKEN", "t0k"}});
  EXPECT_EQ(spec.env, (std::map<std::string, std::string>{
                          {"DB_URL", "postgres://db"}, {"TOKEN", "t0k"}, {"EMPTY", ""}}));
  EXPECT_FALSE(spec.inherit_env);
  EXPECT_EQ(spec.warm, false);
  EXPECT_EQ(spec.watch, (std::vector<std::string>{"/ws/src", "/shared/*.py", "/etc/app.toml"}));
  EXPECT_EQ(spec.ignore, (std::vector<std::string>{"*.pyc", ".venv"}));
  EXPECT_EQ(spec.restart.policy, RestartPolicy::kOnFailure);
  EXPECT_EQ(spec.restart.backoff_initial, milliseconds(500));
  EXPECT_EQ(spec.restart.backoff_max, milliseconds(60'000));
  EXPECT_EQ(spec.restart.backoff_reset_after, milliseconds(300'000));
  EXPECT_EQ(spec.restart.startup_timeout, milliseconds(90'000));
  EXPECT_EQ(spec.restart.stop_timeout, milliseconds(10'000));
  EXPECT_EQ(spec.restart.stop_signal, SIGINT);
}

TEST(ExtensionFields, AcceptsEveryRestartPolicyAndSignalForms) {
  for (auto [text, policy] : {std::pair{"always", RestartPolicy::kAlways},
                              std::pair{"on-failure", RestartPolicy::kOnFailure},
                              std::pair{"never", RestartPolicy::kNever}}) {
    auto spec = parse_one(std::string("load_from:\n  - python_module: {module_name: m, restart: ") +
                          text + "}\n");
    EXPECT_EQ(spec.restart.policy, policy) << text;
  }
  EXPECT_EQ(parse_one("load_from:\n  - python_module: {module_name: m, stop_signal: 15}\n")
                .restart.stop_signal,
            SIGTERM);
  EXPECT_EQ(parse_one("load_from:\n  - python_module: {module_name: m, stop_signal: hup}\n")
                .restart.stop_signal,
            SIGHUP);
}

TEST(ExtensionFields, BooleansFollowYaml11LikeDagstersLoader) {
  for (const char* text : {"false", "False", "no", "NO", "off", "Off"}) {
    auto spec = parse_one(std::string("load_from:\n  - python_module: {module_name: m, "
                                      "inherit_env: ") +
                          text + "}\n");
    EXPECT_FALSE(spec.inherit_env) << text;
  }
  for (const char* text : {"true", "True", "yes", "YES", "on", "On"}) {
    auto spec = parse_one(std::string("load_from:\n  - python_module: {module_name: m, "
                                      "inherit_env: ") +
                          text + "}\n");
    EXPECT_TRUE(spec.inherit_env) << text;
  }
  EXPECT_FALSE(parse_one("load_from:\n  - grpc_server: {port: 1, ssl: OFF}\n").ssl);
}

TEST(ExtensionFields, ReportsBadValuesAtTheirPosition) {
  EXPECT_EQ(
      parse_errors(R"(load_from:
  - python_file:
      relative_path: a.py
      env: {A: [1], "B=C": x, D: {env: NOPE}}
      inherit_env: maybe
      watch: src
      ignore: [ok, {x: y}]
      restart: sometimes
      startup_timeout: 0s
      stop_timeout: soon
      stop_signal: SIGNOPE
)"),
      (Errors{"workspace.yaml:4:16: 'env' in python_file: variable 'A': expected a string, got "
              "a list",
              "workspace.yaml:4:21: 'env' in python_file: invalid variable name 'B=C'",
              "workspace.yaml:4:34: 'env' in python_file: variable 'D': environment variable "
              "'NOPE' is not set",
              "workspace.yaml:5:20: 'inherit_env' in python_file: expected true or false, got "
              "'maybe'",
              "workspace.yaml:6:14: 'watch' in python_file: expected a list of strings, got 'src'",
              "workspace.yaml:7:20: 'ignore' in python_file: item 2: expected a string or {env: "
              "VAR}, got a map without a single 'env' key",
              "workspace.yaml:8:16: 'restart' in python_file: expected one of always, "
              "on-failure, never, got 'sometimes'",
              "workspace.yaml:9:24: 'startup_timeout' in python_file: must be longer than 0",
              "workspace.yaml:10:21: 'stop_timeout' in python_file: expected a duration like "
              "100ms, 30s or 1m, got 'soon'",
              "workspace.yaml:11:20: 'stop_signal' in python_file: expected a signal name like "
              "SIGTERM or SIGINT, got 'SIGNOPE'"}));
}

TEST(ExtensionFields, BackoffErrors) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - python_module:
      module_name: m
      backoff: {intial: 1s, max: 1s}
  - python_module:
      module_name: n
      backoff: {initial: 1m, max: 10s}
  - python_module:
      module_name: o
      backoff: 5s
)"),
            (Errors{"workspace.yaml:4:17: unknown key 'intial' in backoff (did you mean "
                    "'initial'?)",
                    "workspace.yaml:7:26: 'initial' in backoff: must not be longer than max (10s)",
                    "workspace.yaml:10:16: 'backoff' in python_module: expected a map with "
                    "initial, max and reset_after, got '5s'"}));
}

TEST(ExtensionFields, CodeServerRejectsProcessKeys) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - code_server:
      socket: /run/cs.sock
      env: {A: b}
      watch: [src]
)"),
            (Errors{"workspace.yaml:4:7: key 'env' is not allowed in code_server: codeloc does "
                    "not start this location's process",
                    "workspace.yaml:5:7: key 'watch' is not allowed in code_server: codeloc does "
                    "not start this location's process"}));
}

TEST(ExtensionFields, GrpcServerTakesTheAttachProcessKeys) {
  LocationSpec spec = parse_one(R"(load_from:
  - grpc_server:
      port: 4000
      env: {A: b}
      inherit_env: false
      restart: always
      backoff: {initial: 1s, max: 5s}
      startup_timeout: 2m
      stop_timeout: 3s
      stop_signal: SIGINT
)");
  EXPECT_EQ(spec.env, (std::map<std::string, std::string>{{"A", "b"}}));
  EXPECT_FALSE(spec.inherit_env);
  EXPECT_EQ(spec.restart.policy, RestartPolicy::kAlways);
  EXPECT_EQ(spec.restart.backoff_max, std::chrono::seconds(5));
  EXPECT_EQ(spec.restart.startup_timeout, std::chrono::minutes(2));
  EXPECT_EQ(spec.restart.stop_timeout, std::chrono::seconds(3));
  EXPECT_EQ(spec.restart.stop_signal, SIGINT);
}

TEST(ExtensionFields, GrpcServerRejectsWatchIgnoreAndWarm) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - grpc_server:
      port: 4000
      watch: [src]
      ignore: ["*.tmp"]
      warm: true
)"),
            (Errors{"workspace.yaml:4:7: key 'watch' is not allowed in grpc_server: there are no "
                    "files to watch: the location reloads when the server's id changes",
                    "workspace.yaml:5:7: key 'ignore' is not allowed in grpc_server: there are no "
                    "files to watch: the location reloads when the server's id changes",
                    "workspace.yaml:6:7: key 'warm' is not allowed in grpc_server: the attach "
                    "process is not forked from a warm interpreter"}));
}

}  // namespace
}  // namespace codeloc::workspace
