#include "workspace/workspace_report.h"

#include <gtest/gtest.h>

#include "tests/workspace/parse_helpers.h"

namespace codeloc::workspace {
namespace {

using testing::make_spec;

Workspace sample() {
  ParseResult result = testing::parse_yaml(R"(load_from:
  - python_file:
      relative_path: defs.py
      attribute: defs
      executable_path: /opt/py/bin/python
      env: {DB_PASSWORD: hunter2, MODE: {env: MODE}}
  - command:
      argv: [node, server.js, "--name=a b"]
      location_name: js
      inherit_env: false
  - grpc_server: {port: 4000, additional_metadata: {token: abc123}}
)",
                                           {{"MODE", "prod"}});
  EXPECT_TRUE(result.ok());
  return Workspace{{"/ws/workspace.yaml"}, result.locations};
}

TEST(WorkspaceReport, TableAlignsColumnsAndShowsOnlyEnvKeys) {
  EXPECT_EQ(render_table(sample()),
            "NAME                 KIND         TARGET                       WORKING DIRECTORY  "
            "INTERPRETER         ENV\n"
            "defs.py:defs         python_file  /ws/defs.py:defs             /ws                "
            "/opt/py/bin/python  DB_PASSWORD,MODE\n"
            "js                   command      node server.js '--name=a b'  /ws                "
            "-                   (inherit_env: false)\n"
            "grpc:localhost:4000  grpc_server  localhost:4000               -                  "
            "(default)           -\n");
}

TEST(WorkspaceReport, EmptyWorkspaceSaysSo) {
  EXPECT_EQ(render_table(Workspace{}),
            "NAME  KIND  TARGET  WORKING DIRECTORY  INTERPRETER  ENV\n(no locations)\n");
}

TEST(WorkspaceReport, DescribeTargetPerKind) {
  LocationSpec module = make_spec("m", LocationKind::kPythonModule);
  module.target = "pkg.defs";
  EXPECT_EQ(describe_target(module), "pkg.defs");
  LocationSpec server = make_spec("s", LocationKind::kCodeServer);
  server.socket = "/run/s.sock";
  EXPECT_EQ(describe_target(server), "/run/s.sock");
  LocationSpec grpc = make_spec("g", LocationKind::kGrpcServer);
  grpc.host = "h";
  grpc.port = 1;
  grpc.ssl = true;
  EXPECT_EQ(describe_target(grpc), "h:1 (ssl)");
}

TEST(WorkspaceReport, JsonHasEveryFieldButNoSecretValues) {
  nlohmann::ordered_json json = workspace_to_json(sample());
  EXPECT_EQ(json["valid"], true);
  EXPECT_EQ(json["files"], nlohmann::ordered_json::array({"/ws/workspace.yaml"}));
  ASSERT_EQ(json["locations"].size(), 3u);
  const auto& file = json["locations"][0];
  EXPECT_EQ(file["name"], "defs.py:defs");
  EXPECT_EQ(file["kind"], "python_file");
  EXPECT_EQ(file["origin"]["line"], 2);
  EXPECT_EQ(file["origin"]["column"], 5);
  EXPECT_EQ(file["target"], "/ws/defs.py");
  EXPECT_EQ(file["attribute"], "defs");
  EXPECT_EQ(file["working_directory"], "/ws");
  EXPECT_EQ(file["executable_path"], "/opt/py/bin/python");
  EXPECT_EQ(file["env_keys"], nlohmann::ordered_json::array({"DB_PASSWORD", "MODE"}));
  EXPECT_EQ(file["restart"]["policy"], nullptr);
  const auto& command = json["locations"][1];
  EXPECT_EQ(command["argv"], nlohmann::ordered_json::array({"node", "server.js", "--name=a b"}));
  EXPECT_EQ(command["inherit_env"], false);
  const auto& grpc = json["locations"][2];
  EXPECT_EQ(grpc["host"], "localhost");
  EXPECT_EQ(grpc["port"], 4000);
  EXPECT_EQ(grpc["working_directory"], nullptr);
  EXPECT_EQ(grpc["additional_metadata_keys"], nlohmann::ordered_json::array({"token"}));
  std::string text = json.dump();
  for (const char* secret : {"hunter2", "prod", "abc123"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
}

TEST(WorkspaceReport, DiagnosticsAsJson) {
  nlohmann::ordered_json json = diagnostics_to_json({{{"w.yaml", 3, 7}, "unknown key 'x'"}});
  EXPECT_EQ(json.dump(), R"({"valid":false,"errors":[{"file":"w.yaml","line":3,"column":7,)"
                         R"("message":"unknown key 'x'"}]})");
}

}  // namespace
}  // namespace codeloc::workspace
