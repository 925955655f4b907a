#include "daemon/dagster/dagster_workspace.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "daemon/common/atomic_file.h"
#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

using json = nlohmann::json;

json python_entry(const std::string& name, const std::string& socket, bool published = true) {
  return {{"name", name},
          {"kind", "python_file"},
          {"state", "LOADED"},
          {"dagster_grpc", {{"socket", socket}, {"published", published}, {"error", nullptr}}}};
}

const char* const kHeader =
    "# Written by codeloc: the Dagster gRPC servers of its locations, at paths that stay the\n"
    "# same when their code reloads. Do not edit; `codeloc dagster-workspace` writes it anew.\n";

TEST(DagsterWorkspace, OneGrpcServerPerLocationInWorkspaceOrder) {
  json entries = json::array(
      {python_entry("b", "/state/dagster/b.sock"), python_entry("a", "/state/dagster/a.sock")});
  EXPECT_EQ(dagster_workspace_yaml(entries), std::string(kHeader) +
                                                 "load_from:\n"
                                                 "  - grpc_server:\n"
                                                 "      socket: /state/dagster/b.sock\n"
                                                 "      location_name: b\n"
                                                 "  - grpc_server:\n"
                                                 "      socket: /state/dagster/a.sock\n"
                                                 "      location_name: a\n");
}

TEST(DagsterWorkspace, TcpGrpcServerKeepsItsHostPortAndSsl) {
  json entries = json::array(
      {{{"name", "remote"},
        {"kind", "grpc_server"},
        {"dagster_grpc", {{"host", "dagster.example"}, {"port", 4266}, {"ssl", true}}}},
       {{"name", "plain"}, {"kind", "grpc_server"}, {"dagster_grpc", {{"port", 4000}}}}});
  EXPECT_EQ(dagster_workspace_yaml(entries), std::string(kHeader) +
                                                 "load_from:\n"
                                                 "  - grpc_server:\n"
                                                 "      host: dagster.example\n"
                                                 "      port: 4266\n"
                                                 "      location_name: remote\n"
                                                 "      ssl: true\n"
                                                 "  - grpc_server:\n"
                                                 "      port: 4000\n"
                                                 "      location_name: plain\n");
}

TEST(DagsterWorkspace, LocationsWithoutDagsterGrpcAreLeftOut) {
  json entries = json::array({{{"name", "etl"}, {"kind", "command"}, {"dagster_grpc", nullptr}},
                              {{"name", "old"}, {"kind", "code_server"}},
                              {{"name", "odd"}, {"dagster_grpc", json::object()}},
                              python_entry("defs", "/s/defs.sock")});
  json workspace = dagster_workspace(entries);
  ASSERT_EQ(workspace["load_from"].size(), 1u);
  EXPECT_EQ(workspace["load_from"][0]["grpc_server"],
            (json{{"socket", "/s/defs.sock"}, {"location_name", "defs"}}));
}

TEST(DagsterWorkspace, NoLocationsIsAnEmptyList) {
  EXPECT_EQ(dagster_workspace_yaml(json::array()), std::string(kHeader) + "load_from: []\n");
  EXPECT_EQ(dagster_workspace_yaml(json()), std::string(kHeader) + "load_from: []\n");
  EXPECT_TRUE(YAML::Load(dagster_workspace_yaml(json::array()))["load_from"].IsSequence());
}

TEST(DagsterWorkspace, PublicationStateDoesNotChangeTheText) {
  // A reload republishes the socket; the file the webserver reads must stay byte for byte the
  // same.
  EXPECT_EQ(dagster_workspace_yaml(json::array({python_entry("a", "/s/a.sock", false)})),
            dagster_workspace_yaml(json::array({python_entry("a", "/s/a.sock", true)})));
}

TEST(DagsterWorkspace, AwkwardNamesAndPathsParseBackExactly) {
  const std::vector<std::string> names = {
      "with \"quotes\" and \\backslashes\\",
      "colon: hash # and - dash",
      "new\nline\ttab\rreturn",
      "*alias &anchor !tag %percent @at `tick` {brace} [bracket] |pipe >fold ,comma ?q",
      "yes",
      "null",
      "~",
      "0x1F",
      "2024",
      "Off",
      "",
      " leading and trailing ",
      "ünïcödé 名前 🚀",
      std::string("bell\x07"
                  "del\x7f",
                  9),
      "line\xe2\x80\xa8separator",
  };
  json entries = json::array();
  for (std::size_t i = 0; i < names.size(); ++i)
    entries.push_back(python_entry(names[i], "/state dir/" + names[i] + ".sock"));
  YAML::Node parsed = YAML::Load(dagster_workspace_yaml(entries));
  ASSERT_EQ(parsed["load_from"].size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    YAML::Node server = parsed["load_from"][i]["grpc_server"];
    EXPECT_EQ(server["location_name"].as<std::string>(), names[i]) << i;
    EXPECT_EQ(server["socket"].as<std::string>(), "/state dir/" + names[i] + ".sock") << i;
  }
}

TEST(YamlScalar, PlainOnlyWhenYamlReadsItBackAsTheSameString) {
  EXPECT_EQ(yaml_scalar("analytics"), "analytics");
  EXPECT_EQ(yaml_scalar("/var/lib/codeloc/dagster/my-loc_2.sock"),
            "/var/lib/codeloc/dagster/my-loc_2.sock");
  EXPECT_EQ(yaml_scalar("_private"), "_private");
  EXPECT_EQ(yaml_scalar("Yes"), "\"Yes\"");
  EXPECT_EQ(yaml_scalar("off"), "\"off\"");
  EXPECT_EQ(yaml_scalar("null"), "\"null\"");
  EXPECT_EQ(yaml_scalar("2024"), "\"2024\"");
  EXPECT_EQ(yaml_scalar(".inf"), "\".inf\"");
  EXPECT_EQ(yaml_scalar("-dash"), "\"-dash\"");
  EXPECT_EQ(yaml_scalar("a b"), "\"a b\"");
  EXPECT_EQ(yaml_scalar("a:b"), "\"a:b\"");
  EXPECT_EQ(yaml_scalar(""), "\"\"");
}

TEST(YamlQuoted, EscapesWhatADoubleQuotedScalarCannotHold) {
  EXPECT_EQ(yaml_quoted("plain"), "\"plain\"");
  EXPECT_EQ(yaml_quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(yaml_quoted("a\nb\tc"), "\"a\\nb\\tc\"");
  EXPECT_EQ(yaml_quoted(std::string("\0\x01\x7f", 3)), "\"\\x00\\x01\\x7F\"");
  EXPECT_EQ(yaml_quoted("\xc2\x85"), "\"\\x85\"");  // NEL, a C1 control
  EXPECT_EQ(yaml_quoted("\xe2\x80\xa8"), "\"\\u2028\"");
  EXPECT_EQ(yaml_quoted("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(YamlQuoted, BytesThatAreNotUtf8BecomeTheReplacementCharacter) {
  EXPECT_EQ(yaml_quoted("a\xff"
                        "b"),
            "\"a\\uFFFDb\"");
  EXPECT_EQ(yaml_quoted("\xc0\xaf"), "\"\\uFFFD\\uFFFD\"");             // overlong '/'
  EXPECT_EQ(yaml_quoted("\xed\xa0\x80"), "\"\\uFFFD\\uFFFD\\uFFFD\"");  // a surrogate
  EXPECT_EQ(yaml_quoted("\xe2\x82"), "\"\\uFFFD\\uFFFD\"");             // truncated
}

TEST(AtomicFile, ReplacesTheContentAndLeavesNoTemporaryFile) {
  testing::TempFolder folder;
  auto path = folder / "sub/workspace.yaml";
  EXPECT_EQ(write_file_atomically(path, "one\n", /*create_folder=*/true), "");
  EXPECT_EQ(write_file_atomically(path, "two\n"), "");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "two\n");
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder / "sub")) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(AtomicFile, AMissingFolderIsAnErrorNamingThePath) {
  testing::TempFolder folder;
  std::string error = write_file_atomically(folder / "missing/workspace.yaml", "x");
  EXPECT_NE(error.find("missing/workspace.yaml.tmp."), std::string::npos) << error;
}

}  // namespace
}  // namespace codeloc::daemon
