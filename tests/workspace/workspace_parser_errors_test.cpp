// Every problem is reported, in file order, as "FILE:LINE:COL: message".
#include <gtest/gtest.h>

#include "tests/workspace/parse_helpers.h"
#include "workspace/workspace_parser.h"

namespace codeloc::workspace {
namespace {

using testing::parse_errors;
using Errors = std::vector<std::string>;

TEST(WorkspaceParser, UnknownKeySuggestsTheNearestKnownOne) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - python_file:
      relative_path: defs.py
      atribute: defs
)"),
            Errors{"workspace.yaml:4:7: unknown key 'atribute' in python_file (did you mean "
                   "'attribute'?)"});
}

TEST(WorkspaceParser, MisspeltRequiredKeyReportsBothTheTypoAndTheMissingKey) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - python_file:
      relative_pth: defs.py
)"),
            (Errors{"workspace.yaml:2:5: missing required key 'relative_path' in python_file",
                    "workspace.yaml:3:7: unknown key 'relative_pth' in python_file (did you mean "
                    "'relative_path'?)"}));
}

TEST(WorkspaceParser, UnknownKeyFarFromEveryKnownOneHasNoSuggestion) {
  EXPECT_EQ(parse_errors("load_from:\n  - python_module: {module_name: m, colour: red}\n"),
            Errors{"workspace.yaml:2:37: unknown key 'colour' in python_module"});
}

TEST(WorkspaceParser, RejectsUnknownTopLevelKeysLikeDagster) {
  EXPECT_EQ(parse_errors("load_form:\n  - python_module: m\n"),
            Errors{"workspace.yaml:1:1: unknown key 'load_form' at the top level (did you mean "
                   "'load_from'?)"});
}

TEST(WorkspaceParser, ReportsEveryProblemInTheFileInOrder) {
  EXPECT_EQ(
      parse_errors(R"(load_from:
  - python_file: {relative_path: a.py, attribute: [x]}
  - python_module: {module_name: m, port: 3}
  - grpc_server: {port: many}
)"),
      (Errors{"workspace.yaml:2:51: 'attribute' in python_file: expected a string, got a list",
              "workspace.yaml:3:37: unknown key 'port' in python_module",
              "workspace.yaml:4:25: 'port' in grpc_server: expected an integer, got 'many'"}));
}

TEST(WorkspaceParser, WrongTypesSayWhatWasExpected) {
  EXPECT_EQ(
      parse_errors(R"(load_from:
  - python_module:
      module_name: {a: b}
      location_name: ~
  - grpc_server: {port: 1, ssl: "yes"}
  - python_file: [a.py]
)"),
      (Errors{"workspace.yaml:3:20: 'module_name' in python_module: expected a string or {env: "
              "VAR}, got a map without a single 'env' key",
              "workspace.yaml:4:22: 'location_name' in python_module: expected a string, got null",
              "workspace.yaml:5:33: 'ssl' in grpc_server: expected true or false, got 'yes'",
              "workspace.yaml:6:18: 'python_file': expected a file path or a map, got a list"}));
}

TEST(WorkspaceParser, GrpcServerRefusesTlsAtTheSslValue) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - python_file: a.py
  - grpc_server:
      port: 4266
      ssl: true
  - grpc_server: {socket: /run/d.sock, ssl: yes}
)"),
            (Errors{"workspace.yaml:5:12: 'ssl' in grpc_server: TLS is not supported yet: codeloc "
                    "attaches to grpc_server locations without it (remove 'ssl', or serve the "
                    "code with a python_file or python_module entry)",
                    "workspace.yaml:6:45: 'ssl' in grpc_server: TLS is not supported yet: codeloc "
                    "attaches to grpc_server locations without it (remove 'ssl', or serve the "
                    "code with a python_file or python_module entry)"}));
}

TEST(WorkspaceParser, EmptyValuePointsAtItsKey) {
  EXPECT_EQ(
      parse_errors(R"(load_from:
  - python_module:
      module_name: m
      attribute:
      location_name: x
)"),
      Errors{"workspace.yaml:4:7: 'attribute' in python_module: expected a string, got null"});
}

TEST(WorkspaceParser, UnsetEnvVariableIsAnErrorNamingIt) {
  EXPECT_EQ(parse_errors("load_from:\n  - python_module: {module_name: {env: MODULE}}\n"),
            Errors{"workspace.yaml:2:34: 'module_name' in python_module: environment variable "
                   "'MODULE' is not set"});
}

TEST(WorkspaceParser, EnvIntThatIsNotANumberDoesNotPrintTheValue) {
  auto errors =
      parse_errors("load_from:\n  - grpc_server: {port: {env: PORT}}\n", {{"PORT", "s3cret"}});
  EXPECT_EQ(errors, Errors{"workspace.yaml:2:25: 'port' in grpc_server: environment variable "
                           "'PORT' is not an integer"});
}

TEST(WorkspaceParser, RejectsDuplicateLocationName) {
  EXPECT_EQ(
      parse_errors(R"(load_from:
  - python_module: shared
  - python_file: other.py
  - python_package:
      package_name: pkg
      location_name: shared
)"),
      Errors{"workspace.yaml:6:22: duplicate location name 'shared' (first defined at line 2)"});
}

TEST(WorkspaceParser, DuplicateDefaultNamePointsAtTheSecondEntry) {
  EXPECT_EQ(
      parse_errors("load_from:\n  - python_file: a/defs.py\n  - python_file: b/defs.py\n"),
      Errors{"workspace.yaml:3:5: duplicate location name 'defs.py' (first defined at line 2)"});
}

TEST(WorkspaceParser, RejectsDuplicateKeysInAMap) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - python_module:
      module_name: a
      module_name: b
)"),
            Errors{"workspace.yaml:4:7: duplicate key 'module_name' in python_module (first at "
                   "line 3)"});
}

TEST(WorkspaceParser, EntryWithTwoKindsIsAnError) {
  EXPECT_EQ(parse_errors("load_from:\n  - python_file: a.py\n    python_module: b\n"),
            Errors{"workspace.yaml:3:5: load_from entry has two location types, 'python_file' "
                   "and 'python_module': use one entry for each"});
}

TEST(WorkspaceParser, EntryWithNoKindIsAnError) {
  EXPECT_EQ(parse_errors("load_from:\n  - relative_path: a.py\n  - {}\n  - a.py\n"),
            (Errors{"workspace.yaml:2:5: load_from entry has no location type: expected one of "
                    "python_file, python_module, python_package, autoload_defs_module, "
                    "grpc_server, command, code_server, got 'relative_path'",
                    "workspace.yaml:3:5: load_from entry: expected a map with one location type "
                    "(python_file, python_module, python_package, autoload_defs_module, "
                    "grpc_server, command, code_server), got an empty map",
                    "workspace.yaml:4:5: load_from entry: expected a map with one location type "
                    "(python_file, python_module, python_package, autoload_defs_module, "
                    "grpc_server, command, code_server), got 'a.py'"}));
}

TEST(WorkspaceParser, MisspeltKindSuggestsTheNearest) {
  EXPECT_EQ(parse_errors("load_from:\n  - python_modul: m\n"),
            Errors{"workspace.yaml:2:5: unknown location type 'python_modul' (did you mean "
                   "'python_module'?)"});
}

TEST(WorkspaceParser, KeyBesideTheKindMustBeIndented) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - python_file: a.py
    location_name: x
    colour: red
)"),
            (Errors{"workspace.yaml:3:5: key 'location_name' must be indented under "
                    "'python_file', beside its other keys",
                    "workspace.yaml:4:5: unknown key 'colour' beside 'python_file' (an entry holds "
                    "exactly one location type)"}));
}

TEST(WorkspaceParser, GrpcServerNeedsExactlyOneOfPortAndSocket) {
  EXPECT_EQ(parse_errors(R"(load_from:
  - grpc_server:
      host: h
  - grpc_server: {port: 1, socket: /s}
  - grpc_server:
  - grpc_server: {port: 0}
)"),
            (Errors{"workspace.yaml:2:5: grpc_server needs exactly one of 'port' and 'socket', "
                    "got neither",
                    "workspace.yaml:4:28: grpc_server needs exactly one of 'port' and 'socket', "
                    "got both",
                    "workspace.yaml:5:5: grpc_server needs exactly one of 'port' and 'socket', "
                    "got neither",
                    "workspace.yaml:6:25: 'port' in grpc_server: expected a port number from 1 to "
                    "65535, got 0"}));
}

TEST(WorkspaceParser, AutoloadDefsModuleRejectsAttributeLikeDagster) {
  EXPECT_EQ(parse_errors("load_from:\n  - autoload_defs_module: {module_name: m, attribute: d}\n"),
            Errors{"workspace.yaml:2:44: key 'attribute' is not allowed in autoload_defs_module: "
                   "Dagster loads every definition in the module, it has no attribute"});
}

TEST(WorkspaceParser, EmptyRequiredValuesAreErrors) {
  EXPECT_EQ(
      parse_errors("load_from:\n  - python_module: ''\n  - python_file: {relative_path: ''}\n"),
      (Errors{"workspace.yaml:2:20: 'python_module' must not be empty",
              "workspace.yaml:3:34: 'relative_path' in python_file: must not be empty"}));
}

TEST(WorkspaceParser, TildeUserAndUnsetHomeAreErrors) {
  EXPECT_EQ(parse_errors("load_from:\n  - python_module: {module_name: m, executable_path: "
                         "~bob/py}\n"),
            Errors{"workspace.yaml:2:54: 'executable_path' in python_module: '~user' paths are "
                   "not supported: write the full path"});
  EXPECT_EQ(
      parse_errors("load_from:\n  - python_module: {module_name: m, executable_path: ~/py}\n", {}),
      Errors{"workspace.yaml:2:54: 'executable_path' in python_module: cannot expand '~': "
             "HOME is not set"});
}

TEST(WorkspaceParser, YamlSyntaxErrorCarriesYamlCppPosition) {
  EXPECT_EQ(parse_errors("load_from:\n  - python_file: a.py\n\t- python_file: b.py\n"),
            Errors{"workspace.yaml:3:1: YAML syntax error: illegal tab when looking for "
                   "indentation"});
  EXPECT_EQ(parse_errors("load_from: [python_file: a.py\n"),
            Errors{"workspace.yaml:2:1: YAML syntax error: end of sequence flow not found"});
}

TEST(WorkspaceParser, EmptyFileAndWrongTopLevelAreErrors) {
  EXPECT_EQ(parse_errors(""),
            Errors{"workspace.yaml:1:1: the file is empty: expected a map with 'load_from'"});
  EXPECT_EQ(parse_errors("# only a comment\n"),
            Errors{"workspace.yaml:1:1: the file is empty: expected a map with 'load_from'"});
  EXPECT_EQ(parse_errors("- python_file: a.py\n"),
            Errors{"workspace.yaml:1:1: expected a map with 'load_from' at the top level, got a "
                   "list"});
  EXPECT_EQ(parse_errors("load_from:\n"),
            Errors{"workspace.yaml:1:1: 'load_from' at the top level: expected a list of "
                   "locations, got null"});
  EXPECT_EQ(parse_errors("load_from: {python_file: a.py}\n"),
            Errors{"workspace.yaml:1:12: 'load_from' at the top level: expected a list of "
                   "locations, got a map"});
}

}  // namespace
}  // namespace codeloc::workspace
