#include "workspace/location_spec.h"

namespace codeloc::workspace {

std::string SourcePos::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column > 0 ? column : 1);
}

const char* kind_name(LocationKind kind) {
  switch (kind) {
    case LocationKind::kPythonFile:
      return "python_file";
    case LocationKind::kPythonModule:
      return "python_module";
    case LocationKind::kPythonPackage:
      return "python_package";
    case LocationKind::kAutoloadDefsModule:
      return "autoload_defs_module";
    case LocationKind::kGrpcServer:
      return "grpc_server";
    case LocationKind::kCommand:
      return "command";
    case LocationKind::kCodeServer:
      return "code_server";
  }
  return "unknown";
}

bool is_python_kind(LocationKind kind) {
  return kind == LocationKind::kPythonFile || kind == LocationKind::kPythonModule ||
         kind == LocationKind::kPythonPackage || kind == LocationKind::kAutoloadDefsModule;
}

const char* restart_policy_name(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways:
      return "always";
    case RestartPolicy::kOnFailure:
      return "on-failure";
    case RestartPolicy::kNever:
      return "never";
  }
  return "unknown";
}

bool LocationSpec::starts_process() const {
  return is_python_kind(kind) || kind == LocationKind::kCommand ||
         kind == LocationKind::kGrpcServer;
}

const LocationSpec* Workspace::find(const std::string& name) const {
  for (const auto& location : locations) {
    if (location.name == name) return &location;
  }
  return nullptr;
}

}  // namespace codeloc::workspace
