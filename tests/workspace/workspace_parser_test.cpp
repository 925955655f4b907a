// The forms Dagster accepts, with Dagster's meaning and defaults (dagster 1.13
// _core/workspace/config_schema.py and load.py).
#include "workspace/workspace_parser.h"

#include <gtest/gtest.h>

#include "tests/workspace/parse_helpers.h"

namespace codeloc::workspace {
namespace {

using testing::parse_errors;
using testing::parse_one;
using testing::parse_yaml;

TEST(WorkspaceParser, BarePythonFileResolvesAgainstTheYamlFolder) {
  LocationSpec spec = parse_one("load_from:\n  - python_file: src/defs.py\n");
  EXPECT_EQ(spec.kind, LocationKind::kPythonFile);
  EXPECT_EQ(spec.name, "defs.py");
  EXPECT_EQ(spec.target, "/ws/src/defs.py");
  EXPECT_EQ(spec.working_directory, "/ws");
  EXPECT_EQ(spec.attribute, std::nullopt);
  EXPECT_EQ(spec.executable_path, std::nullopt);
  EXPECT_EQ(spec.origin, (SourcePos{"workspace.yaml", 2, 5}));
}

TEST(WorkspaceParser, PythonFileMapFormTakesEveryDagsterKey) {
  LocationSpec spec = parse_one(R"(load_from:
  - python_file:
      relative_path: defs.py
      attribute: my_defs
      location_name: analytics
      working_directory: ../code
      executable_path: /opt/venv/bin/python
)");
  EXPECT_EQ(spec.name, "analytics");
  EXPECT_EQ(spec.target, "/ws/defs.py");
  EXPECT_EQ(spec.attribute, "my_defs");
  EXPECT_EQ(spec.working_directory, "/code");
  EXPECT_EQ(spec.executable_path, "/opt/venv/bin/python");
}

TEST(WorkspaceParser, AbsoluteRelativePathStaysAbsolute) {
  EXPECT_EQ(parse_one("load_from:\n  - python_file: /srv/defs.py\n").target, "/srv/defs.py");
}

TEST(WorkspaceParser, DefaultNameAppendsTheAttribute) {
  EXPECT_EQ(parse_one("load_from:\n  - python_file: {relative_path: a/b.py, attribute: d}\n").name,
            "b.py:d");
  EXPECT_EQ(
      parse_one("load_from:\n  - python_module: {module_name: pkg.defs, attribute: d}\n").name,
      "pkg.defs:d");
  EXPECT_EQ(parse_one("load_from:\n  - python_package: {package_name: pkg, attribute: d}\n").name,
            "pkg:d");
}

TEST(WorkspaceParser, BarePythonModule) {
  LocationSpec spec = parse_one("load_from:\n  - python_module: my_pkg.defs\n");
  EXPECT_EQ(spec.kind, LocationKind::kPythonModule);
  EXPECT_EQ(spec.name, "my_pkg.defs");
  EXPECT_EQ(spec.target, "my_pkg.defs");
  EXPECT_EQ(spec.working_directory, "/ws");
}

TEST(WorkspaceParser, PythonModuleMapForm) {
  LocationSpec spec = parse_one(R"(load_from:
  - python_module:
      module_name: my_pkg.defs
      attribute: defs
      working_directory: src
      location_name: mine
      executable_path: .venv/bin/python
)");
  EXPECT_EQ(spec.name, "mine");
  EXPECT_EQ(spec.target, "my_pkg.defs");
  EXPECT_EQ(spec.attribute, "defs");
  EXPECT_EQ(spec.working_directory, "/ws/src");
  EXPECT_EQ(spec.executable_path, "/ws/.venv/bin/python");
}

TEST(WorkspaceParser, BareAndMapPythonPackage) {
  LocationSpec bare = parse_one("load_from:\n  - python_package: my_pkg\n");
  EXPECT_EQ(bare.kind, LocationKind::kPythonPackage);
  EXPECT_EQ(bare.name, "my_pkg");
  EXPECT_EQ(bare.target, "my_pkg");
  LocationSpec map =
      parse_one("load_from:\n  - python_package: {package_name: p, location_name: n}\n");
  EXPECT_EQ(map.name, "n");
  EXPECT_EQ(map.target, "p");
}

TEST(WorkspaceParser, AutoloadDefsModuleTakesModuleNameAndNoAttribute) {
  LocationSpec bare = parse_one("load_from:\n  - autoload_defs_module: proj.defs\n");
  EXPECT_EQ(bare.kind, LocationKind::kAutoloadDefsModule);
  EXPECT_EQ(bare.name, "proj.defs");
  LocationSpec map = parse_one(R"(load_from:
  - autoload_defs_module:
      module_name: proj.defs
      working_directory: /srv/proj
      location_name: proj
      executable_path: python3.12
)");
  EXPECT_EQ(map.target, "proj.defs");
  EXPECT_EQ(map.working_directory, "/srv/proj");
  EXPECT_EQ(map.name, "proj");
  EXPECT_EQ(map.executable_path, "python3.12");  // a bare name stays for the PATH lookup
}

TEST(WorkspaceParser, ExecutablePathExpandsTilde) {
  auto spec = parse_one(
      "load_from:\n  - python_module: {module_name: m, executable_path: ~/venv/bin/python}\n");
  EXPECT_EQ(spec.executable_path, "/home/ada/venv/bin/python");
}

TEST(WorkspaceParser, EmptyOptionalStringsAreAbsentAsInDagster) {
  LocationSpec spec = parse_one(R"(load_from:
  - python_file:
      relative_path: defs.py
      attribute: ""
      location_name: ""
      working_directory: ""
      executable_path: ""
)");
  EXPECT_EQ(spec.name, "defs.py");
  EXPECT_EQ(spec.attribute, std::nullopt);
  EXPECT_EQ(spec.working_directory, "/ws");
  EXPECT_EQ(spec.executable_path, std::nullopt);
}

TEST(WorkspaceParser, GrpcServerWithPortDefaultsToLocalhost) {
  LocationSpec spec = parse_one("load_from:\n  - grpc_server:\n      port: 4266\n");
  EXPECT_EQ(spec.kind, LocationKind::kGrpcServer);
  EXPECT_EQ(spec.host, "localhost");
  EXPECT_EQ(spec.port, 4266);
  EXPECT_EQ(spec.socket, std::nullopt);
  EXPECT_FALSE(spec.ssl);
  EXPECT_EQ(spec.name, "grpc:localhost:4266");
}

TEST(WorkspaceParser, GrpcServerWithSocketAndEveryKey) {
  LocationSpec spec = parse_one(R"(load_from:
  - grpc_server:
      host: code.internal
      socket: /run/dagster.sock
      location_name: remote
      ssl: false
      additional_metadata: {team: data, tier: 1}
)");
  EXPECT_EQ(spec.host, "code.internal");
  EXPECT_EQ(spec.socket, "/run/dagster.sock");
  EXPECT_EQ(spec.port, std::nullopt);
  EXPECT_FALSE(spec.ssl);
  EXPECT_EQ(spec.name, "remote");
  EXPECT_EQ(spec.additional_metadata,
            (std::map<std::string, std::string>{{"team", "data"}, {"tier", "1"}}));
  EXPECT_EQ(spec.executable_path, std::nullopt);  // the daemon's python
  EXPECT_TRUE(spec.starts_process());             // the attach process
}

TEST(WorkspaceParser, GrpcServerDefaultNameUsesTheSocket) {
  EXPECT_EQ(parse_one("load_from:\n  - grpc_server: {socket: /tmp/s}\n").name,
            "grpc:localhost:/tmp/s");
  EXPECT_EQ(parse_one("load_from:\n  - grpc_server: {host: h, port: 1}\n").name, "grpc:h:1");
}

TEST(WorkspaceParser, GrpcServerSocketResolvesAgainstTheYamlFolderNameKeepsItAsWritten) {
  LocationSpec spec = parse_one("load_from:\n  - grpc_server: {socket: run/dagster.sock}\n");
  EXPECT_EQ(spec.socket, "/ws/run/dagster.sock");
  EXPECT_EQ(spec.name, "grpc:localhost:run/dagster.sock");
}

TEST(WorkspaceParser, GrpcServerTakesExecutablePath) {
  ParseResult result = parse_yaml(
      "load_from:\n"
      "  - grpc_server: {port: 4266, executable_path: .venv/bin/python}\n"
      "  - grpc_server: {port: 4267, executable_path: ~/venvs/dagster/bin/python}\n"
      "  - grpc_server: {port: 4268, executable_path: python3.11}\n",
      {{"HOME", "/home/ann"}});
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.locations.size(), 3u);
  EXPECT_EQ(result.locations[0].executable_path, "/ws/.venv/bin/python");
  EXPECT_EQ(result.locations[1].executable_path, "/home/ann/venvs/dagster/bin/python");
  EXPECT_EQ(result.locations[2].executable_path, "python3.11");
}

TEST(WorkspaceParser, EnvResolvesOnStringAndIntFields) {
  LocationSpec spec = parse_one(R"(load_from:
  - grpc_server:
      host: {env: CODE_HOST}
      port: {env: CODE_PORT}
)",
                                {{"CODE_HOST", "10.0.0.2"}, {"CODE_PORT", "4000"}});
  EXPECT_EQ(spec.host, "10.0.0.2");
  EXPECT_EQ(spec.port, 4000);
  EXPECT_EQ(spec.name, "grpc:10.0.0.2:4000");

  LocationSpec file = parse_one(R"(load_from:
  - python_file:
      relative_path: {env: DEFS}
      location_name: {env: NAME}
)",
                                {{"DEFS", "d.py"}, {"NAME", ""}});
  EXPECT_EQ(file.target, "/ws/d.py");
  EXPECT_EQ(file.name, "d.py");  // an empty variable is an empty string: the default name
}

TEST(WorkspaceParser, KeepsLocationsInFileOrder) {
  ParseResult result = parse_yaml(R"(load_from:
  - python_module: b
  - python_module: a
  - python_file: c.py
)");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.locations.size(), 3u);
  EXPECT_EQ(result.locations[0].name, "b");
  EXPECT_EQ(result.locations[1].name, "a");
  EXPECT_EQ(result.locations[2].name, "c.py");
  EXPECT_EQ(result.locations[2].origin.line, 4);
}

TEST(WorkspaceParser, MapWithoutLoadFromOrWithAnEmptyListHasNoLocations) {
  // Dagster's schema makes load_from optional.
  EXPECT_TRUE(parse_yaml("{}\n").ok());
  EXPECT_TRUE(parse_yaml("{}\n").locations.empty());
  EXPECT_TRUE(parse_yaml("load_from: []\n").ok());
}

TEST(WorkspaceParser, AcceptsCommentsAnchorsAndFlowStyle) {
  ParseResult result = parse_yaml(R"(# the team's workspace
x-python: &python /opt/py/bin/python
load_from: [{python_module: {module_name: a, executable_path: *python}}]
)");
  // Dagster's top level is strict: x-python is an unknown key there too.
  EXPECT_EQ(
      testing::errors_of(result),
      std::vector<std::string>{"workspace.yaml:2:1: unknown key 'x-python' at the top level"});
  EXPECT_EQ(parse_one("load_from: [{python_module: {module_name: a, executable_path: /p}}]\n")
                .executable_path,
            "/p");
}

TEST(WorkspaceParser, NeverThrowsOnArbitraryText) {
  for (const char* text :
       {"", "\n", "[", "load_from", "load_from: 3", "\t- x", "{{{", "- - -", "load_from:\n  - ~\n",
        "load_from:\n  - python_file: {relative_path: ~}"}) {
    EXPECT_NO_THROW(parse_yaml(text)) << text;
    EXPECT_FALSE(parse_yaml(text).ok()) << text;
  }
}

}  // namespace
}  // namespace codeloc::workspace
