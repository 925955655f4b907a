// codeloc's own entry kinds: command and code_server.
#include "workspace/entry_parser.h"

#include <gtest/gtest.h>

#include "tests/workspace/parse_helpers.h"

namespace codeloc::workspace {
namespace {

using testing::parse_errors;
using testing::parse_one;
using Errors = std::vector<std::string>;

TEST(EntryParser, ListsEveryKindName) {
  EXPECT_EQ(entry_kind_names(),
            (std::vector<std::string_view>{"python_file", "python_module", "python_package",
                                           "autoload_defs_module", "grpc_server", "command",
                                           "code_server"}));
}

TEST(EntryParser, CommandWithDefaults) {
  LocationSpec spec = parse_one(R"(load_from:
  - command:
      argv: [node, server.js]
      location_name: js
)");
  EXPECT_EQ(spec.kind, LocationKind::kCommand);
  EXPECT_EQ(spec.name, "js");
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"node", "server.js"}));
  EXPECT_EQ(spec.working_directory, "/ws");
  EXPECT_EQ(spec.executable_path, std::nullopt);
  EXPECT_TRUE(spec.target.empty());
  EXPECT_TRUE(spec.starts_process());
}

TEST(EntryParser, CommandWithEveryKey) {
  LocationSpec spec = parse_one(R"(load_from:
  - command:
      argv: [./bin/server, --port, {env: PORT}]
      location_name: {env: NAME}
      working_directory: services/go
      env: {GOMAXPROCS: "2"}
      restart: always
)",
                                {{"PORT", "9000"}, {"NAME", "go"}});
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"./bin/server", "--port", "9000"}));
  EXPECT_EQ(spec.name, "go");
  EXPECT_EQ(spec.working_directory, "/ws/services/go");
  EXPECT_EQ(spec.env.at("GOMAXPROCS"), "2");
  EXPECT_EQ(spec.restart.policy, RestartPolicy::kAlways);
}

TEST(EntryParser, CommandRequiresArgvAndLocationName) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - command: {working_directory: x}
  - command: {argv: [], location_name: a}
  - command: {argv: ["", x], location_name: b}
  - command: {argv: run.sh, location_name: ""}
  - command: {argv: [a], location_name: c, executable_path: /py}
  - command: run.sh
)"),
            (Errors{"workspace.yaml:2:5: missing required key 'argv' in command",
                    "workspace.yaml:2:5: missing required key 'location_name' in command",
                    "workspace.yaml:3:21: 'argv' in command: must not be empty: it names the "
                    "program to run",
                    "workspace.yaml:4:21: 'argv' in command: the program (item 1) must not be "
                    "empty",
                    "workspace.yaml:5:21: 'argv' in command: expected a list of strings, got "
                    "'run.sh'",
                    "workspace.yaml:5:44: 'location_name' in command: must not be empty",
                    "workspace.yaml:6:44: key 'executable_path' is not allowed in command: put the "
                    "program to run first in argv",
                    "workspace.yaml:7:14: 'command': expected a map with argv and location_name, "
                    "got 'run.sh'"}));
}

TEST(EntryParser, CodeServerOnASocketResolvesItAgainstTheYamlFolder) {
  LocationSpec spec = parse_one("load_from:\n  - code_server: {socket: run/cs.sock}\n");
  EXPECT_EQ(spec.kind, LocationKind::kCodeServer);
  EXPECT_EQ(spec.socket, "/ws/run/cs.sock");
  EXPECT_EQ(spec.port, std::nullopt);
  EXPECT_EQ(spec.name, "code_server:localhost:run/cs.sock");
  EXPECT_FALSE(spec.starts_process());
}

TEST(EntryParser, CodeServerOnHostAndPort) {
  LocationSpec spec =
      parse_one("load_from:\n  - code_server: {host: pod-1, port: 7000, location_name: k8s}\n");
  EXPECT_EQ(spec.host, "pod-1");
  EXPECT_EQ(spec.port, 7000);
  EXPECT_EQ(spec.name, "k8s");
  EXPECT_EQ(parse_one("load_from:\n  - code_server: {port: 7000}\n").name,
            "code_server:localhost:7000");
}

TEST(EntryParser, CodeServerErrors) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - code_server: {host: h}
  - code_server: {socket: /s, host: h}
  - code_server: {port: 1, ssl: true}
)"),
            (Errors{"workspace.yaml:2:5: code_server needs exactly one of 'port' and 'socket', "
                    "got neither",
                    "workspace.yaml:3:37: 'host' in code_server: only used with 'port' (a socket "
                    "is a local path)",
                    "workspace.yaml:4:28: unknown key 'ssl' in code_server"}));
}

}  // namespace
}  // namespace codeloc::workspace
