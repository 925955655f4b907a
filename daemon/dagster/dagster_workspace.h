// A Dagster workspace.yaml that points Dagster's webserver and daemon at the gRPC servers of the
// daemon's locations (`codeloc dagster-workspace`, and the workspace `--ui` writes for them). Pure
// functions: the callers fetch the entries and write the file.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace codeloc::daemon {

// The workspace for `entries`, a locations.list "locations" array (docs/protocol.md), in its
// order: one `grpc_server:` entry per location whose `dagster_grpc` is an object with a "socket",
// or a "host" and "port" (plus `ssl: true` when it says so). Locations without one (null, missing,
// other kinds) are left out; with none left it is `load_from: []`. Values are yaml_scalar()s. Only
// names and addresses are written, never the publication state, so that the text changes only when
// locations come or go.
std::string dagster_workspace_yaml(const nlohmann::json& entries);
// The same workspace as JSON: {"load_from": [{"grpc_server": {...}}, ...]}.
nlohmann::json dagster_workspace(const nlohmann::json& entries);

// `text` as a YAML scalar that reads back as that string: plain when it is a simple name or path
// ([A-Za-z_/] then [A-Za-z0-9_./-], not a YAML 1.1 boolean or null), else yaml_quoted.
std::string yaml_scalar(std::string_view text);
// `text` as a YAML double-quoted scalar: quotes, backslashes and non-printable characters
// escaped, other UTF-8 kept; bytes that are not UTF-8 become U+FFFD.
std::string yaml_quoted(std::string_view text);

}  // namespace codeloc::daemon
