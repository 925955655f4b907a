#include "daemon/supervision/launch_plan.h"

#include <map>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/processes/process_tree.h"
#include "ipc/protocol.h"

extern char** environ;

namespace codeloc::daemon {

using workspace::LocationKind;

std::string instance_token(pid_t daemon_pid, const std::string& name, std::uint64_t child_id) {
  return std::to_string(daemon_pid) + "-" + name + "-" + std::to_string(child_id);
}

std::vector<std::string> child_argv(const workspace::LocationSpec& spec,
                                    const LocationOptions& options,
                                    const std::filesystem::path& grpc_socket) {
  if (spec.kind == LocationKind::kCommand) return spec.argv;
  std::vector<std::string> argv{spec.executable_path.value_or(options.default_python),
                                options.code_server.string(), "--location", spec.name};
  switch (spec.kind) {
    case LocationKind::kPythonFile:
      argv.insert(argv.end(), {"--python-file", spec.target});
      break;
    case LocationKind::kPythonModule:
      argv.insert(argv.end(), {"--module", spec.target});
      break;
    case LocationKind::kPythonPackage:
      argv.insert(argv.end(), {"--package", spec.target});
      break;
    case LocationKind::kAutoloadDefsModule:
      argv.insert(argv.end(), {"--autoload-defs-module", spec.target});
      break;
    case LocationKind::kGrpcServer:  // attach.py: serves someone else's Dagster gRPC server
      argv.push_back("--attach-grpc");
      if (spec.socket) {
        argv.insert(argv.end(), {"--grpc-socket", *spec.socket});
      } else {
        argv.insert(argv.end(), {"--grpc-host", spec.host, "--grpc-port",
                                 std::to_string(spec.port.value_or(0))});
      }
      break;
    default:
      break;
  }
  if (spec.attribute) argv.insert(argv.end(), {"--attribute", *spec.attribute});
  if (!spec.working_directory.empty()) {
    argv.insert(argv.end(), {"--working-directory", spec.working_directory.string()});
  }
  if (!grpc_socket.empty()) {
    argv.insert(argv.end(), {"--dagster-grpc-socket", grpc_socket.string()});
  }
  return argv;
}

std::vector<std::string> child_env(const workspace::LocationSpec& spec,
                                   const LocationOptions& options, const ChildIdentity& child,
                                   const std::vector<std::string>& daemon_env) {
  std::map<std::string, std::string> env;
  if (spec.inherit_env) {
    for (std::string_view text : daemon_env) {
      std::size_t eq = text.find('=');
      if (eq == std::string_view::npos || is_service_manager_variable(text.substr(0, eq))) continue;
      env[std::string(text.substr(0, eq))] = text.substr(eq + 1);
    }
  }
  bool grpc = spec.kind == LocationKind::kGrpcServer;
  if (workspace::is_python_kind(spec.kind) || grpc) env["PYTHONUNBUFFERED"] = "1";
  if (grpc && !spec.additional_metadata.empty()) {
    env[ipc::kEnvGrpcMetadata] = nlohmann::json(spec.additional_metadata).dump();
  }
  for (const auto& [key, value] : spec.env)
    env[key] = value;
  env[ipc::kEnvLocation] = spec.name;
  env[ipc::kEnvChannelFd] = std::to_string(ipc::kChildChannelFd);
  env[ipc::kEnvProtocol] = std::to_string(ipc::kCodeServerProtocolVersion);
  env[kEnvInstance] = child.token;
  if (!options.control_socket.empty()) env[ipc::kEnvSocket] = options.control_socket.string();
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [key, value] : env)
    out.push_back(key + "=" + value);
  return out;
}

LaunchSpec launch_plan(const workspace::LocationSpec& spec, const LocationOptions& options,
                       const ChildIdentity& child, const std::vector<std::string>& daemon_env) {
  LaunchSpec launch;
  launch.argv = child_argv(spec, options, child.grpc_socket);
  launch.env = child_env(spec, options, child, daemon_env);
  launch.working_directory = spec.working_directory;
  launch.warm = workspace::is_python_kind(spec.kind) && spec.warm.value_or(options.warm);
  return launch;
}

std::string cannot_launch_reason(const workspace::LocationSpec& spec,
                                 const LocationOptions& options) {
  if ((workspace::is_python_kind(spec.kind) || spec.kind == LocationKind::kGrpcServer) &&
      options.code_server.empty()) {
    return "codeloc's Python code server was not found; set CODELOC_CODE_SERVER to the "
           "codeloc_server directory";
  }
  return "";
}

std::vector<std::string> daemon_environment() {
  std::vector<std::string> env;
  for (char** entry = environ; entry && *entry; ++entry)
    env.emplace_back(*entry);
  return env;
}

}  // namespace codeloc::daemon
