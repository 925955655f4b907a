#include "cli/settings_options.h"

#include <gtest/gtest.h>

#include "config/setting_table.h"

namespace codeloc::cli {
namespace {

// Parses args (without the program name) with the settings options on a bare command.
SettingsOptions parse(std::vector<std::string> args) {
  CLI::App app;
  SettingsOptions options;
  add_settings_options(&app, &options);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);  // CLI11 takes a vector in reverse order
  return options;
}

TEST(SettingsOptions, RegistersOneFlagPerSettingPlusConfig) {
  CLI::App app;
  SettingsOptions options;
  add_settings_options(&app, &options);
  EXPECT_NE(app.get_option_no_throw("--config"), nullptr);
  for (const config::SettingDef& def : config::setting_table()) {
    EXPECT_NE(app.get_option_no_throw(std::string(def.flag)), nullptr) << def.flag;
  }
}

TEST(SettingsOptions, CollectsRawTextByKey) {
  SettingsOptions options =
      parse({"--config", "c.yaml", "--stop-timeout", "soon", "--socket-mode=0660"});
  EXPECT_EQ(options.config, "c.yaml");
  EXPECT_EQ(options.values.at("stop_timeout"), "soon");  // checked later, with the other sources
  EXPECT_EQ(options.values.at("socket_mode"), "0660");
  EXPECT_EQ(options.values.count("socket"), 0u);
}

TEST(SettingsOptions, BooleanSettingsAreFlagPairs) {
  EXPECT_EQ(parse({"--watch"}).values.at("watch"), "true");
  EXPECT_EQ(parse({"--no-watch"}).values.at("watch"), "false");
  EXPECT_EQ(parse({}).values.count("watch"), 0u);
  EXPECT_EQ(parse({"--watch", "--no-watch"}).values.at("watch"), "false");  // the last one wins
  EXPECT_EQ(parse({"--no-watch", "--watch"}).values.at("watch"), "true");
}

TEST(SettingsOptions, FlagValuesReachTheResolvedSettings) {
  SettingsOptions options = parse({"--ping-misses", "9", "--socket", "/tmp/x.sock"});
  config::SettingsResult result = resolve_settings_options(options);
  EXPECT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0]);
  EXPECT_EQ(result.settings.ping_misses, 9u);
  EXPECT_EQ(result.settings.socket, "/tmp/x.sock");
}

}  // namespace
}  // namespace codeloc::cli
