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

}  // namespace
}  // namespace codeloc::config
