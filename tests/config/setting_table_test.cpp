#include "config/setting_table.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace codeloc::config {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

TEST(SettingsTable, NamesFollowOneConvention) {
  std::set<std::string_view> keys;
  for (const SettingDef& def : setting_table()) {
    EXPECT_TRUE(keys.insert(def.key).second) << "duplicate " << def.key;
    EXPECT_EQ(def.env_var, "CODELOC_" + upper(def.key));
    std::string flag = "--" + std::string(def.key);
    for (char& c : flag)
      if (c == '_') c = '-';
    EXPECT_EQ(def.flag, flag);
    EXPECT_FALSE(def.doc.empty()) << def.key;
    EXPECT_EQ(find_setting(def.key), &def);
  }
  EXPECT_EQ(find_setting("nope"), nullptr);
}

TEST(SettingsTable, DocumentedDefaultsAreTheBuiltInOnes) {
  Settings defaults = Settings::defaults({}, 1000);
  for (const SettingDef& def : setting_table()) {
    if (def.default_text == "see below") continue;
    // "none" is how the docs write an empty optional value.
    std::string text = def.default_text == "none" ? "" : std::string(def.default_text);
    Settings parsed = Settings::defaults({}, 1000);
    std::string error;
    ASSERT_TRUE(def.parse(text, ValueContext{"/", ""}, &parsed, &error)) << def.key << error;
    EXPECT_EQ(def.format(parsed), def.format(defaults)) << def.key;
  }
}

TEST(SettingsTable, FormattedValuesParseBackToThemselves) {
  Settings defaults = Settings::defaults({}, 1000);
  for (const SettingDef& def : setting_table()) {
    Settings copy = Settings::defaults({}, 42);
    std::string error;
    EXPECT_TRUE(def.parse(def.format(defaults), ValueContext{"/", ""}, &copy, &error))
        << def.key << ": " << error;
    EXPECT_EQ(def.format(copy), def.format(defaults)) << def.key;
  }
}

TEST(SettingsTable, EverySettingIsInTheDocumentation) {
  std::ifstream in(std::string(CODELOC_TEST_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md";
  std::stringstream text;
  text << in.rdbuf();
  for (const SettingDef& def : setting_table()) {
    std::string row = "| `" + std::string(def.key) + "` | `" + std::string(def.env_var) + "` | `" +
                      std::string(def.flag) + "` | " + std::string(def.default_text) + " |";
    EXPECT_NE(text.str().find(row), std::string::npos) << "missing row start: " << row;
  }
}

// Parses `text` for `key` against defaults; the error, or empty.
std::string parse_into(Settings* settings, const char* key, std::string_view text) {
  std::string error;
  const SettingDef* def = find_setting(key);
  if (!def) return std::string("no setting ") + key;
  if (!def->parse(text, ValueContext{"/work", "/home/ana"}, settings, &error) && error.empty()) {
    return "refused without an error";
  }
  return error;
}

TEST(SettingsTable, UiSettingsTakeTheirValues) {
  Settings s = Settings::defaults({}, 1000);
  EXPECT_FALSE(s.ui);
  ASSERT_NE(find_setting("ui"), nullptr);
  EXPECT_TRUE(find_setting("ui")->is_bool) << "--ui / --no-ui";
  EXPECT_EQ(parse_into(&s, "ui", "yes"), "");
  EXPECT_TRUE(s.ui);
  EXPECT_EQ(parse_into(&s, "ui_port", "8080"), "");
  EXPECT_EQ(s.ui_port, 8080u);
  EXPECT_EQ(parse_into(&s, "ui_host", "0.0.0.0"), "");
  EXPECT_EQ(s.ui_host, "0.0.0.0");
  EXPECT_EQ(parse_into(&s, "ui_host", "dagster.local"), "");
  EXPECT_EQ(s.ui_host, "dagster.local");
  EXPECT_EQ(parse_into(&s, "ui_python", ".venv/bin/python"), "");
  EXPECT_EQ(s.ui_python, "/work/.venv/bin/python");
  EXPECT_EQ(parse_into(&s, "ui_python", "~/venv/bin/python"), "");
  EXPECT_EQ(s.ui_python, "/home/ana/venv/bin/python");
  EXPECT_EQ(parse_into(&s, "ui_python", ""), "");
  EXPECT_EQ(s.ui_python, "") << "empty: the first Python location's interpreter";
  EXPECT_EQ(parse_into(&s, "dagster_home", "home"), "");
  EXPECT_EQ(s.dagster_home, "/work/home");
  EXPECT_EQ(parse_into(&s, "dagster_home", ""), "");
  EXPECT_EQ(s.dagster_home, "");
}

TEST(SettingsTable, UiSettingsRefuseBadValues) {
  Settings s = Settings::defaults({}, 1000);
  EXPECT_EQ(parse_into(&s, "ui_port", "0"), "expected a TCP port from 1 to 65535, got '0'");
  EXPECT_EQ(parse_into(&s, "ui_port", "65536"),
            "expected a TCP port from 1 to 65535, got '65536'");
  EXPECT_EQ(parse_into(&s, "ui_port", "http"), "expected a TCP port from 1 to 65535, got 'http'");
  EXPECT_EQ(s.ui_port, 3000u);
  for (const char* host : {"", "::1", "http://x", "a b", "host:3000"}) {
    EXPECT_EQ(parse_into(&s, "ui_host", host),
              "expected a host name or an IPv4 address like 127.0.0.1, got '" +
                  std::string(host) + "'");
  }
  EXPECT_EQ(s.ui_host, "127.0.0.1");
}

}  // namespace
}  // namespace codeloc::config
