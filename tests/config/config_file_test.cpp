#include "config/config_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeloc::config {
namespace {

using ::testing::ElementsAre;

TEST(ConfigFile, ReadsScalarsWithTheirPositions) {
  ConfigFile file = parse_config_file("codeloc.yaml",
                                      "# daemon settings\n"
                                      "socket_mode: 0660\n"
                                      "stop_timeout: 5s\n");
  EXPECT_THAT(file.errors, ElementsAre());
  ASSERT_EQ(file.entries.size(), 2u);
  EXPECT_EQ(file.entries[0].key, "socket_mode");
  EXPECT_EQ(file.entries[0].value, "0660");  // the text as written, not YAML's integer
  EXPECT_EQ(file.entries[0].line, 2);
  EXPECT_EQ(file.entries[0].column, 14);
  EXPECT_EQ(file.entries[1].key, "stop_timeout");
  EXPECT_EQ(file.entries[1].line, 3);
}

TEST(ConfigFile, AnEmptyOrCommentOnlyFileSetsNothing) {
  for (const char* text : {"", "# nothing yet\n", "{}\n"}) {
    ConfigFile file = parse_config_file("c.yaml", text);
    EXPECT_TRUE(file.errors.empty()) << text;
    EXPECT_TRUE(file.entries.empty()) << text;
  }
}

TEST(ConfigFile, RejectsUnknownKeysWithTheNearestKnownOne) {
  ConfigFile file = parse_config_file("codeloc.yaml",
                                      "socket: /run/c.sock\n"
                                      "log_format: json\n"
                                      "stop_timout: 5s\n"
                                      "colour: blue\n");
  EXPECT_THAT(file.errors,
              ElementsAre("codeloc.yaml:3:1: unknown setting 'stop_timout' (did you mean "
                          "'stop_timeout'?)",
                          "codeloc.yaml:4:1: unknown setting 'colour'"));
  EXPECT_EQ(file.entries.size(), 2u);
}

TEST(ConfigFile, SuggestsTheKeyForFlagAndVariableSpellings) {
  ConfigFile file = parse_config_file("c.yaml",
                                      "stop-timeout: 5s\n"
                                      "CODELOC_PING_MISSES: 2\n");
  EXPECT_THAT(file.errors, ElementsAre("c.yaml:1:1: unknown setting 'stop-timeout' (did you mean "
                                       "'stop_timeout'?)",
                                       "c.yaml:2:1: unknown setting 'CODELOC_PING_MISSES' (did "
                                       "you mean 'ping_misses'?)"));
}

TEST(ConfigFile, RejectsDuplicateKeys) {
  ConfigFile file = parse_config_file("c.yaml",
                                      "watch: true\n"
                                      "watch: false\n");
  EXPECT_THAT(file.errors, ElementsAre("c.yaml:2:1: setting 'watch' is already set at line 1"));
  EXPECT_EQ(file.entries.size(), 1u);
}

TEST(ConfigFile, RejectsValuesThatAreNotScalars) {
  ConfigFile file = parse_config_file("c.yaml",
                                      "restart:\n"
                                      "  policy: always\n"
                                      "python: [python3]\n"
                                      "socket:\n");
  EXPECT_THAT(file.errors, ElementsAre("c.yaml:2:3: restart: expected a single value, got a map",
                                       "c.yaml:3:9: python: expected a single value, got a list",
                                       "c.yaml:4:1: socket: expected a single value, got nothing"));
}

TEST(ConfigFile, RejectsATopLevelThatIsNotAMap) {
  ConfigFile file = parse_config_file("c.yaml", "- socket: x\n");
  EXPECT_THAT(file.errors, ElementsAre("c.yaml:1:1: expected a map of settings, got a list"));
}

TEST(ConfigFile, ReportsYamlSyntaxErrorsWithYamlCppsPosition) {
  ConfigFile file = parse_config_file("c.yaml", "socket: [unclosed\n");
  ASSERT_EQ(file.errors.size(), 1u);
  EXPECT_EQ(file.errors[0].rfind("c.yaml:", 0), 0u) << file.errors[0];
  EXPECT_NE(file.errors[0].find(":2:1: "), std::string::npos) << file.errors[0];
}

}  // namespace
}  // namespace codeloc::config
