#include <gtest/gtest.h>

#include "cli/settings_options.h"

namespace codeloc::cli {
namespace {

config::SettingsResult resolved(std::map<std::string, std::string> flags,
                                config::Environment environment = {}) {
  config::SettingsSources sources;
  sources.uid = 1000;
  sources.cwd = "/work";
  sources.environment = std::move(environment);
  sources.environment["XDG_RUNTIME_DIR"] = "/run/user/1000";
  sources.flags = std::move(flags);
  return config::resolve_settings(sources);
}

TEST(DevSettings, WatchesAndUsesItsOwnSocketByDefault) {
  config::SettingsResult result = resolved({});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.settings.socket, "/run/user/1000/codeloc/codeloc.sock");
  config::Settings dev = dev_settings(result, {{"XDG_RUNTIME_DIR", "/run/user/1000"}}, 1000);
  EXPECT_TRUE(dev.watch);
  EXPECT_EQ(dev.socket, "/run/user/1000/codeloc/dev.sock");
}

TEST(DevSettings, AChosenSocketOrNoWatchWins) {
  config::SettingsResult result = resolved({{"socket", "/tmp/mine.sock"}, {"watch", "false"}});
  ASSERT_TRUE(result.ok()) << result.errors.front();
  config::Settings dev = dev_settings(result, {}, 1000);
  EXPECT_FALSE(dev.watch);
  EXPECT_EQ(dev.socket, "/tmp/mine.sock");
}

TEST(DevSettings, RootsDevSocketIsBesideTheServices) {
  EXPECT_EQ(config::default_dev_socket_path({}, 0), "/run/codeloc/dev.sock");
}

TEST(ServeSettings, LogsToTheJournalWhenStderrIsTheJournalAndNoFormatWasChosen) {
  EXPECT_EQ(serve_settings(resolved({}), true).log_format, config::LogFormat::kJournal);
  EXPECT_EQ(serve_settings(resolved({}), false).log_format, config::LogFormat::kHuman);
  EXPECT_EQ(serve_settings(resolved({{"log_format", "human"}}), true).log_format,
            config::LogFormat::kHuman);
  EXPECT_EQ(serve_settings(resolved({}, {{"CODELOC_LOG_FORMAT", "json"}}), true).log_format,
            config::LogFormat::kJson);
}

}  // namespace
}  // namespace codeloc::cli
