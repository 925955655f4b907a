#include "config/settings_resolver.h"

#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeloc::config {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

SettingsSources sources_for(std::string file_text = "") {
  SettingsSources sources;
  sources.uid = 1000;
  sources.cwd = "/work";
  sources.environment = {{"HOME", "/home/ana"}};
  if (!file_text.empty()) sources.file = ConfigText{"codeloc.yaml", file_text};
  return sources;
}

TEST(SettingsResolver, NoSourcesGiveTheDefaults) {
  SettingsResult result = resolve_settings(sources_for());
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.settings, Settings::defaults({{"HOME", "/home/ana"}}, 1000));
  EXPECT_EQ(result.origins.at("stop_timeout"), "default");
}

TEST(SettingsResolver, FileOverridesDefault) {
  SettingsResult result = resolve_settings(sources_for("stop_timeout: 5s\n"));
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.settings.restart_defaults.stop_timeout, milliseconds(5'000));
  EXPECT_EQ(result.origins.at("stop_timeout"), "codeloc.yaml:1:15");
}

TEST(SettingsResolver, EnvironmentOverridesFile) {
  SettingsSources sources = sources_for("stop_timeout: 5s\n");
  sources.environment["CODELOC_STOP_TIMEOUT"] = "7s";
  SettingsResult result = resolve_settings(sources);
  EXPECT_EQ(result.settings.restart_defaults.stop_timeout, milliseconds(7'000));
  EXPECT_EQ(result.origins.at("stop_timeout"), "CODELOC_STOP_TIMEOUT");
}

TEST(Settings, FlagOverridesEnvironmentOverridesFile) {
  SettingsSources sources = sources_for("stop_timeout: 5s\nping_misses: 4\nwatch: true\n");
  sources.environment["CODELOC_STOP_TIMEOUT"] = "7s";
  sources.environment["CODELOC_PING_MISSES"] = "5";
  sources.flags["stop_timeout"] = "9s";
  SettingsResult result = resolve_settings(sources);
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.settings.restart_defaults.stop_timeout, milliseconds(9'000));  // flag
  EXPECT_EQ(result.settings.ping_misses, 5u);                                     // environment
  EXPECT_TRUE(result.settings.watch);                                             // file
  EXPECT_EQ(result.settings.restart_defaults.backoff_max, milliseconds(30'000));  // default
  EXPECT_EQ(result.origins.at("stop_timeout"), "--stop-timeout");
}

TEST(SettingsResolver, WarmPreloadIsACommaSeparatedListOfModuleNames) {
  SettingsSources sources = sources_for("warm: false\n");
  sources.environment["CODELOC_WARM_PRELOAD"] = " dagster, pandas ,dagster_dbt.core";
  SettingsResult result = resolve_settings(sources);
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_FALSE(result.settings.warm);
  EXPECT_THAT(result.settings.warm_preload, ElementsAre("dagster", "pandas", "dagster_dbt.core"));

  sources.environment["CODELOC_WARM_PRELOAD"] = "dagster, my-lib";
  result = resolve_settings(sources);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0],
              ::testing::HasSubstr("expected Python module names separated by commas, got "
                                   "'my-lib'"));
  EXPECT_THAT(result.errors[0], ::testing::HasSubstr("CODELOC_WARM_PRELOAD"));
}

TEST(SettingsResolver, AnEmptyVariableCountsAsUnset) {
  SettingsSources sources = sources_for("log_format: json\n");
  sources.environment["CODELOC_LOG_FORMAT"] = "";
  SettingsResult result = resolve_settings(sources);
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.settings.log_format, LogFormat::kJson);
}

TEST(SettingsResolver, ReportsEveryBadValueNamingItsSource) {
  SettingsSources sources = sources_for(
      "stop_timeout: soon\n"
      "socket_mode: 0680\n"
      "stop_timout: 5s\n");
  sources.environment["CODELOC_STOP_TIMEOUT"] = "soon";
  sources.environment["CODELOC_MAX_REQUEST_BYTES"] = "16MB";
  sources.flags["socket_mode"] = "abc";
  sources.flags["restart"] = "sometimes";
  sources.flags["stop_signal"] = "SIGNOPE";
  SettingsResult result = resolve_settings(sources);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(
      result.errors,
      ElementsAre(
          "codeloc.yaml:3:1: unknown setting 'stop_timout' (did you mean 'stop_timeout'?)",
          "codeloc.yaml:1:15: stop_timeout: expected a duration like 100ms, 30s or 1m, got "
          "'soon'",
          "codeloc.yaml:2:14: socket_mode: expected an octal file mode like 0600 or 0660, got "
          "'0680'",
          "CODELOC_MAX_REQUEST_BYTES: expected a size like 512KiB, 16MiB or 1048576, got '16MB'",
          "CODELOC_STOP_TIMEOUT: expected a duration like 100ms, 30s or 1m, got 'soon'",
          "--restart: expected one of always, on-failure, never, got 'sometimes'",
          "--socket-mode: expected an octal file mode like 0600 or 0660, got 'abc'",
          "--stop-signal: expected a signal name like SIGTERM or SIGINT, got 'SIGNOPE'"));
}

TEST(SettingsResolver, RefusesValuesOutOfRange) {
  SettingsSources sources = sources_for();
  sources.flags = {{"ping_misses", "0"},
                   {"backoff_initial", "0s"},
                   {"socket_mode", "0060"},
                   {"log_line_max_bytes", "10"}};
  SettingsResult result = resolve_settings(sources);
  EXPECT_THAT(result.errors,
              ElementsAre("--backoff-initial: expected a duration of at least 1ms, got '0s'",
                          "--log-line-max-bytes: expected a size of at least 80B, got '10'",
                          "--ping-misses: expected a whole number of at least 1, got '0'",
                          "--socket-mode: mode 0060 denies the daemon's own user; a socket "
                          "mode needs at least 0600, got '0060'"));
}

TEST(SettingsResolver, ChecksBackoffInitialAgainstBackoffMax) {
  SettingsSources sources = sources_for("backoff_max: 1s\n");
  sources.flags["backoff_initial"] = "2s";
  SettingsResult result = resolve_settings(sources);
  EXPECT_THAT(result.errors,
              ElementsAre("--backoff-initial: backoff_initial (2s, from --backoff-initial) is "
                          "longer than backoff_max (1s, from codeloc.yaml:1:14)"));
}

TEST(SettingsResolver, ChecksLogLineMaxAgainstTheRing) {
  SettingsSources sources = sources_for();
  sources.environment["CODELOC_LOG_RING_BYTES"] = "8KiB";
  SettingsResult result = resolve_settings(sources);
  EXPECT_THAT(result.errors,
              ElementsAre("CODELOC_LOG_RING_BYTES: log_line_max_bytes (16KiB, from default) is "
                          "larger than log_ring_bytes (8KiB, from CODELOC_LOG_RING_BYTES)"));
}

TEST(SettingsResolver, ResolvesRelativePathsAgainstTheirSource) {
  SettingsSources sources = sources_for("socket: run/c.sock\nstate_dir: ~/state\n");
  sources.file->name = "etc/codeloc.yaml";
  sources.environment["CODELOC_PYTHON"] = "venv/bin/python";
  SettingsResult result = resolve_settings(sources);
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.settings.socket, "/work/etc/run/c.sock");  // the file's folder
  EXPECT_EQ(result.settings.state_dir, "/home/ana/state");
  EXPECT_EQ(result.settings.python, "/work/venv/bin/python");  // the working directory

  sources.flags["socket"] = "../s.sock";
  sources.flags["python"] = "python3.12";  // a command name stays one, for PATH
  result = resolve_settings(sources);
  EXPECT_EQ(result.settings.socket, "/s.sock");
  EXPECT_EQ(result.settings.python, "python3.12");
}

TEST(SettingsResolver, RefusesASocketPathTooLongForBind) {
  SettingsSources sources = sources_for();
  sources.flags["socket"] = "/" + std::string(120, 'x');
  SettingsResult result = resolve_settings(sources);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].rfind("--socket: a Unix socket path has at most 107 bytes", 0), 0u)
      << result.errors[0];
}

TEST(SettingsResolver, ReadsEveryTypeFromTheFile) {
  SettingsResult result =
      resolve_settings(sources_for("socket: /run/codeloc/c.sock\n"
                                   "socket_mode: 0660\n"
                                   "socket_group: dagster\n"
                                   "max_request_bytes: 32MiB\n"
                                   "log_format: journal\n"
                                   "log_level: debug\n"
                                   "restart: always\n"
                                   "stop_signal: INT\n"
                                   "watch: yes\n"
                                   "ping_interval: 2.5s\n"));
  EXPECT_THAT(result.errors, IsEmpty());
  const Settings& s = result.settings;
  EXPECT_EQ(s.socket, "/run/codeloc/c.sock");
  EXPECT_EQ(s.socket_mode, 0660u);
  EXPECT_EQ(s.socket_group, "dagster");
  EXPECT_EQ(s.max_request_bytes, 32u << 20);
  EXPECT_EQ(s.log_format, LogFormat::kJournal);
  EXPECT_EQ(s.log_level, spdlog::level::debug);
  EXPECT_EQ(s.restart_defaults.policy, workspace::RestartPolicy::kAlways);
  EXPECT_EQ(s.restart_defaults.stop_signal, SIGINT);
  EXPECT_TRUE(s.watch);
  EXPECT_EQ(s.ping_interval, milliseconds(2'500));
}

TEST(SettingsResolver, AnEmptyGroupFlagClearsTheFilesGroup) {
  SettingsSources sources = sources_for("socket_group: dagster\n");
  sources.flags["socket_group"] = "";
  EXPECT_EQ(resolve_settings(sources).settings.socket_group, std::nullopt);
}

TEST(SettingsResolver, WarnsAboutMisspeltVariablesOnly) {
  SettingsSources sources = sources_for();
  sources.environment["CODELOC_STOP_TIMOUT"] = "5s";
  sources.environment["CODELOC_LOCATION"] = "x";
  sources.environment["CODELOC_SOMETHING_ELSE"] = "x";
  SettingsResult result = resolve_settings(sources);
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(result.warnings, ElementsAre("CODELOC_STOP_TIMOUT: not a codeloc setting, ignored "
                                           "(did you mean CODELOC_STOP_TIMEOUT?)"));
}

TEST(SettingsResolver, DescribesEachSettingWithItsOrigin) {
  SettingsSources sources = sources_for();
  sources.flags["ping_misses"] = "5";
  std::vector<std::string> lines = describe_settings(resolve_settings(sources));
  EXPECT_THAT(lines, ::testing::Contains("ping_misses = 5 (--ping-misses)"));
  EXPECT_THAT(lines, ::testing::Contains("stop_signal = SIGTERM (default)"));
  EXPECT_THAT(lines, ::testing::Contains("socket_mode = 0600 (default)"));
}

}  // namespace
}  // namespace codeloc::config
