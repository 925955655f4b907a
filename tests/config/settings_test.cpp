#include "config/settings.h"

#include <csignal>

#include <gtest/gtest.h>

#include "ipc/protocol.h"

namespace codeloc::config {
namespace {

using std::chrono::milliseconds;
using workspace::RestartPolicy;

TEST(SettingsDefaultSocket, UsesXdgRuntimeDirForAUser) {
  EXPECT_EQ(default_socket_path({{"XDG_RUNTIME_DIR", "/run/user/1000"}}, 1000),
            "/run/user/1000/codeloc/codeloc.sock");
}

TEST(SettingsDefaultSocket, UsesRunForRootEvenWithXdgRuntimeDir) {
  EXPECT_EQ(default_socket_path({}, 0), "/run/codeloc/codeloc.sock");
  EXPECT_EQ(default_socket_path({{"XDG_RUNTIME_DIR", "/run/user/0"}}, 0),
            "/run/codeloc/codeloc.sock");
}

TEST(SettingsDefaultSocket, FallsBackToAPrivateTmpDirWithoutXdgRuntimeDir) {
  EXPECT_EQ(default_socket_path({}, 1000), "/tmp/codeloc-1000/codeloc.sock");
  EXPECT_EQ(default_socket_path({{"XDG_RUNTIME_DIR", ""}}, 42), "/tmp/codeloc-42/codeloc.sock");
}

TEST(SettingsDefaultSocket, IgnoresARelativeXdgRuntimeDir) {
  EXPECT_EQ(default_socket_path({{"XDG_RUNTIME_DIR", "run"}}, 1000),
            "/tmp/codeloc-1000/codeloc.sock");
}

TEST(SettingsDefaultStateDir, FollowsRootThenXdgStateHomeThenHome) {
  EXPECT_EQ(default_state_dir({{"HOME", "/root"}}, 0), "/var/lib/codeloc");
  EXPECT_EQ(default_state_dir({{"XDG_STATE_HOME", "/s"}, {"HOME", "/home/a"}}, 1000), "/s/codeloc");
  EXPECT_EQ(default_state_dir({{"HOME", "/home/a"}}, 1000), "/home/a/.local/state/codeloc");
  EXPECT_EQ(default_state_dir({}, 7), "/tmp/codeloc-7/state");
}

TEST(Settings, DefaultsMatchTheIssues) {
  Settings s = Settings::defaults({}, 1000);
  EXPECT_EQ(s.socket, "/tmp/codeloc-1000/codeloc.sock");
  EXPECT_EQ(s.socket_mode, 0600u);
  EXPECT_EQ(s.socket_group, std::nullopt);
  EXPECT_EQ(s.max_request_bytes, ipc::kDefaultMaxRequestBytes);
  EXPECT_EQ(s.log_format, LogFormat::kHuman);
  EXPECT_EQ(s.log_level, spdlog::level::info);
  EXPECT_EQ(s.python, "python3");
  EXPECT_EQ(s.restart_defaults.policy, RestartPolicy::kOnFailure);
  EXPECT_EQ(s.restart_defaults.backoff_initial, milliseconds(100));
  EXPECT_EQ(s.restart_defaults.backoff_max, milliseconds(30'000));
  EXPECT_EQ(s.restart_defaults.backoff_reset_after, milliseconds(10'000));
  EXPECT_EQ(s.restart_defaults.startup_timeout, milliseconds(60'000));
  EXPECT_EQ(s.restart_defaults.stop_timeout, milliseconds(10'000));
  EXPECT_EQ(s.restart_defaults.stop_signal, SIGTERM);
  EXPECT_EQ(s.ping_interval, milliseconds(10'000));
  EXPECT_EQ(s.ping_misses, 3u);
  EXPECT_FALSE(s.watch);
  EXPECT_EQ(s.watch_debounce, milliseconds(100));
  EXPECT_TRUE(s.warm);
  EXPECT_EQ(s.warm_preload, std::vector<std::string>{"dagster"});
  EXPECT_EQ(s.log_ring_lines, 1000u);
  EXPECT_EQ(s.log_ring_bytes, 1u << 20);
  EXPECT_EQ(s.log_line_max_bytes, 16u << 10);
}

TEST(Settings, RestartForAnEmptySpecIsTheDaemonDefaults) {
  Settings s = Settings::defaults({}, 1000);
  EXPECT_EQ(s.restart_for(workspace::RestartSpec{}), s.restart_defaults);
}

TEST(Settings, RestartForTakesEachFieldTheLocationSets) {
  Settings s = Settings::defaults({}, 1000);
  s.restart_defaults.stop_timeout = milliseconds(20'000);
  workspace::RestartSpec spec;
  spec.policy = RestartPolicy::kAlways;
  spec.backoff_initial = milliseconds(500);
  spec.startup_timeout = milliseconds(5'000);
  spec.stop_signal = SIGINT;
  RestartSettings r = s.restart_for(spec);
  EXPECT_EQ(r.policy, RestartPolicy::kAlways);
  EXPECT_EQ(r.backoff_initial, milliseconds(500));
  EXPECT_EQ(r.backoff_max, milliseconds(30'000));
  EXPECT_EQ(r.backoff_reset_after, milliseconds(10'000));
  EXPECT_EQ(r.startup_timeout, milliseconds(5'000));
  EXPECT_EQ(r.stop_timeout, milliseconds(20'000));  // the daemon's default, not the built-in
  EXPECT_EQ(r.stop_signal, SIGINT);
}

TEST(Settings, RestartForCapsBackoffInitialAtBackoffMax) {
  Settings s = Settings::defaults({}, 1000);
  workspace::RestartSpec spec;
  spec.backoff_initial = milliseconds(60'000);  // above the daemon's 30s backoff_max
  EXPECT_EQ(s.restart_for(spec).backoff_initial, milliseconds(30'000));
  spec = {};
  spec.backoff_max = milliseconds(50);  // below the daemon's 100ms backoff_initial
  EXPECT_EQ(s.restart_for(spec).backoff_initial, milliseconds(50));
}

}  // namespace
}  // namespace codeloc::config
