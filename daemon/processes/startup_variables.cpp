#include "daemon/processes/startup_variables.h"

#include <map>

#include "daemon/processes/process_launcher.h"
#include "ipc/protocol.h"

namespace codeloc::daemon {
namespace {

std::map<std::string, std::string> startup_variables(const std::vector<std::string>& env) {
  std::map<std::string, std::string> found;
  for (const auto& entry : env) {
    std::size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq);
    if (is_startup_variable(name)) found[name] = entry.substr(eq + 1);
  }
  return found;
}

}  // namespace

bool is_startup_variable(std::string_view name) {
  if (name == "PYTHONPATH" || name == "PYTHONUNBUFFERED" || name == "PYTHONDONTWRITEBYTECODE") {
    return false;
  }
  return name.starts_with("PYTHON") || name == "LD_PRELOAD" || name == "LD_LIBRARY_PATH";
}

std::string startup_variable_difference(const std::vector<std::string>& location_env,
                                        const std::vector<std::string>& server_env) {
  auto mine = startup_variables(location_env);
  auto theirs = startup_variables(server_env);
  for (const auto& [name, value] : mine) {
    auto it = theirs.find(name);
    if (it == theirs.end() || it->second != value) return name;
  }
  for (const auto& [name, value] : theirs) {
    if (!mine.count(name)) return name;
  }
  return {};
}

std::vector<std::string> fork_server_environment(char** environ_entries) {
  std::vector<std::string> env;
  for (char** entry = environ_entries; entry && *entry; ++entry) {
    std::string_view text(*entry);
    std::size_t eq = text.find('=');
    if (eq == std::string_view::npos || is_service_manager_variable(text.substr(0, eq))) continue;
    std::string_view name = text.substr(0, eq);
    if (name == "PYTHONUNBUFFERED" || name == ipc::kEnvChannelFd) continue;
    env.emplace_back(text);
  }
  env.push_back("PYTHONUNBUFFERED=1");
  env.push_back(std::string(ipc::kEnvChannelFd) + "=" + std::to_string(ipc::kChildChannelFd));
  return env;
}

}  // namespace codeloc::daemon
