// The resolved model of one workspace entry: what the supervisor needs to run (or attach to) one
// code location. Produced by WorkspaceParser; every path in it is absolute and every {env: VAR}
// already resolved, so nothing downstream looks at the YAML again.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace codeloc::workspace {

// Where something stands in a workspace file. line and column are 1-based; 0 means unknown.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;

  // "FILE:LINE:COL" (or "FILE" when the position is unknown).
  std::string str() const;
  bool operator==(const SourcePos&) const = default;
};

enum class LocationKind {
  kPythonFile,          // python_file
  kPythonModule,        // python_module
  kPythonPackage,       // python_package
  kAutoloadDefsModule,  // autoload_defs_module
  kGrpcServer,          // grpc_server (attach to someone else's Dagster gRPC server)
  kCommand,             // command (codeloc extension: any executable speaking the protocol)
  kCodeServer,          // code_server (codeloc extension: attach to a running code server)
};

// The workspace.yaml key of a kind ("python_file", ...).
const char* kind_name(LocationKind kind);
bool is_python_kind(LocationKind kind);

enum class RestartPolicy { kAlways, kOnFailure, kNever };
const char* restart_policy_name(RestartPolicy policy);

// Restart and stop settings as written in the entry. Unset fields take the daemon's defaults
// (config/settings.h), so one place decides the defaults.
struct RestartSpec {
  std::optional<RestartPolicy> policy;
  std::optional<std::chrono::milliseconds> backoff_initial;
  std::optional<std::chrono::milliseconds> backoff_max;
  std::optional<std::chrono::milliseconds> backoff_reset_after;
  std::optional<std::chrono::milliseconds> startup_timeout;
  std::optional<std::chrono::milliseconds> stop_timeout;
  std::optional<int> stop_signal;  // a signal number (SIGTERM, ...)

  bool operator==(const RestartSpec&) const = default;
};

struct LocationSpec {
  std::string name;  // location_name, or Dagster's default name for the entry
  LocationKind kind = LocationKind::kPythonFile;
  SourcePos origin;  // the entry's key in its file: errors about this location point here

  // Python kinds. target is the absolute file path for python_file, else the module/package name.
  std::string target;
  std::optional<std::string> attribute;
  // Absolute. Python kinds and command: the child's cwd (default: the yaml file's folder).
  std::filesystem::path working_directory;
  // The interpreter, '~' expanded; unset means the daemon's default ("python3" on PATH). For
  // grpc_server, the one that runs the attach process (it needs dagster, not the server's code).
  std::optional<std::string> executable_path;

  // command: the argv, never run through a shell.
  std::vector<std::string> argv;

  // grpc_server and code_server: exactly one of port / socket (absolute).
  std::string host;  // default "localhost"
  std::optional<int> port;
  std::optional<std::string> socket;
  bool ssl = false;                                        // grpc_server only
  std::map<std::string, std::string> additional_metadata;  // grpc_server only

  // codeloc extensions, valid on every kind that starts a process.
  std::map<std::string, std::string> env;  // resolved values; never printed by `check`
  bool inherit_env = true;
  std::optional<bool> warm;  // fork from a warm interpreter (docs/warm.md); unset: the setting
  std::vector<std::string> watch;   // extra paths/globs that trigger a reload (absolute or globs)
  std::vector<std::string> ignore;  // globs skipped by the watcher, beside the defaults
  RestartSpec restart;

  // True for the kinds for which codeloc starts a child process: grpc_server's is the attach
  // process (python/codeloc_server/attach.py) that serves the server's definitions.
  bool starts_process() const;

  bool operator==(const LocationSpec&) const = default;
};

// A parsed and merged workspace: the files it came from, in order, and its locations, in the order
// they were first defined (a later file's replacement keeps the earlier position).
struct Workspace {
  std::vector<std::filesystem::path> files;
  std::vector<LocationSpec> locations;

  const LocationSpec* find(const std::string& name) const;
};

}  // namespace codeloc::workspace
