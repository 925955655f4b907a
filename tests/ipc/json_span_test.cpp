#include "ipc/json_span.h"

#include <string>

#include <gtest/gtest.h>

namespace codeloc::ipc {
namespace {

TEST(JsonSpan, ReturnsRawTextOfTopLevelMembers) {
  const std::string text = R"({"a": 1, "b" : {"x": [1, 2, {"y": null}]} , "c":"s"})";
  EXPECT_EQ(member_span(text, "a"), "1");
  EXPECT_EQ(member_span(text, "b"), R"({"x": [1, 2, {"y": null}]})");
  EXPECT_EQ(member_span(text, "c"), R"("s")");
  EXPECT_EQ(member_span(text, "x"), std::nullopt);  // nested keys are not top-level members
  EXPECT_EQ(member_span(text, "y"), std::nullopt);
}

TEST(JsonSpan, FollowsANestedPathWithoutCopying) {
  const std::string text =
      R"({"jsonrpc":"2.0","id":2,"result":{"snapshot":{"location":"a","assets":[]},"summary":{}}})";
  const auto snapshot = member_span(text, {"result", "snapshot"});
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(*snapshot, R"({"location":"a","assets":[]})");
  EXPECT_GE(snapshot->data(), text.data());
  EXPECT_LE(snapshot->data() + snapshot->size(), text.data() + text.size());
  EXPECT_EQ(member_span(text, {"result", "missing"}), std::nullopt);
  EXPECT_EQ(member_span(text, {"id", "x"}), std::nullopt);
}

TEST(JsonSpan, SkipsStringsWithEscapedQuotesAndBraces) {
  const std::string text = R"({"a":"x\"}{,\\","b":"\u007b[","c":true})";
  EXPECT_EQ(member_span(text, "a"), R"("x\"}{,\\")");
  EXPECT_EQ(member_span(text, "b"), R"("\u007b[")");
  EXPECT_EQ(member_span(text, "c"), "true");
}

TEST(JsonSpan, MatchesEscapedAndUnicodeKeys) {
  const std::string text = "{\"caf\\u00e9\":1,\"na\xc3\xafve\":2,\"\\ud83d\\ude00\":3,\"q\\\"\":4}";
  EXPECT_EQ(member_span(text, "caf\xc3\xa9"), "1");
  EXPECT_EQ(member_span(text, "na\xc3\xafve"), "2");
  EXPECT_EQ(member_span(text, "\xf0\x9f\x98\x80"), "3");
  EXPECT_EQ(member_span(text, "q\""), "4");
}

TEST(JsonSpan, ToleratesWhitespaceEverywhere) {
  const std::string text = " \r\n\t{ \"a\" :\n[ 1 ,\t2 ] ,\r\n\"b\" : -1.5e+3 } \n";
  EXPECT_EQ(member_span(text, "a"), "[ 1 ,\t2 ]");
  EXPECT_EQ(member_span(text, "b"), "-1.5e+3");
}

TEST(JsonSpan, TakesTheLastOfRepeatedKeys) {
  EXPECT_EQ(member_span(R"({"a":1,"a":2})", "a"), "2");
}

TEST(JsonSpan, ListsMembersInOrder) {
  const auto scan = scan_object(R"({"x":1,"y":[],"z":{}})");
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan.members.size(), 3u);
  EXPECT_EQ(scan.members[0].key, "x");
  EXPECT_EQ(scan.members[1].value, "[]");
  EXPECT_EQ(scan.members[2].value, "{}");
  EXPECT_TRUE(scan_object("{}").ok());
}

TEST(JsonSpan, RejectsMalformedObjects) {
  for (const char* bad : {"",
                          "   ",
                          "[]",
                          "1",
                          R"("s")",
                          "{",
                          "{\"a\"}",
                          "{\"a\":}",
                          "{\"a\":1,}",
                          "{a:1}",
                          "{\"a\":1}}",
                          "{\"a\":1} x",
                          "{\"a\":[1,]}",
                          "{\"a\":01}",
                          "{\"a\":1.}",
                          "{\"a\":-}",
                          "{\"a\":1e}",
                          "{\"a\":tru}",
                          "{\"a\":nul}",
                          "{\"a\":\"unterminated}",
                          "{\"a\":\"bad\\q\"}",
                          "{\"a\":\"\\u12G4\"}",
                          "{\"a\":\"\\ud83d\"}",
                          "{\"a\":\"tab\there\"}",
                          "{'a':1}"}) {
    const auto scan = scan_object(bad);
    EXPECT_FALSE(scan.ok()) << bad;
    EXPECT_EQ(member_span(bad, "a"), std::nullopt) << bad;
  }
}

TEST(JsonSpan, ReportsWhereTheTextIsMalformed) {
  const auto scan = scan_object(R"({"a":[1,2,}]})");
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(scan.error->offset, 10u);
  EXPECT_EQ(scan.error->message, "unexpected character");
}

TEST(JsonSpan, RejectsInvalidUtf8InStrings) {
  EXPECT_FALSE(scan_object("{\"a\":\"\xff\"}").ok());
  EXPECT_FALSE(scan_object("{\"a\":\"\xc3\"}").ok());
  EXPECT_FALSE(scan_object("{\"a\":\"\xc0\xaf\"}").ok());      // overlong
  EXPECT_FALSE(scan_object("{\"a\":\"\xed\xa0\x80\"}").ok());  // UTF-16 surrogate
  EXPECT_TRUE(scan_object("{\"a\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}").ok());
}

TEST(JsonSpan, RefusesNestingDeeperThanTheLimit) {
  const std::string deep =
      "{\"a\":" + std::string(kMaxJsonDepth + 5, '[') + std::string(kMaxJsonDepth + 5, ']') + "}";
  EXPECT_FALSE(scan_object(deep).ok());
  const std::string fine = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_TRUE(scan_object(fine).ok());
}

TEST(JsonSpan, ValidatesAnyJsonValue) {
  EXPECT_EQ(validate_json(" [1, \"x\", {\"a\": null}, true, false, -0.5E-2] "), std::nullopt);
  EXPECT_EQ(validate_json("\"only a string\""), std::nullopt);
  EXPECT_NE(validate_json("[1 2]"), std::nullopt);
  EXPECT_NE(validate_json(""), std::nullopt);
  EXPECT_NE(validate_json("1 2"), std::nullopt);
}

TEST(JsonSpan, ScansALargeObjectOnce) {
  std::string text = "{\"snapshot\":{\"assets\":[";
  for (int i = 0; i < 200000; ++i)
    text += R"({"key":"asset_\"quoted\"","deps":[1,2,3]},)";
  text += "{}]},\"tail\":1}";
  const auto snapshot = member_span(text, "snapshot");
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->size(), text.size() - std::string("{\"snapshot\":,\"tail\":1}").size());
  EXPECT_EQ(member_span(text, "tail"), "1");
}

}  // namespace
}  // namespace codeloc::ipc
