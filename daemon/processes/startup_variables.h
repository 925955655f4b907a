// Which environment variables a forked location cannot have its own way (docs/warm.md): those the
// interpreter reads when it starts. A fork inherits the fork server's interpreter as it started,
// so a location that sets one of them to another value starts cold.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace codeloc::daemon {

// PYTHON* except PYTHONPATH (a fork rebuilds sys.path from the location's), PYTHONUNBUFFERED (the
// fork server's is set) and PYTHONDONTWRITEBYTECODE; LD_PRELOAD and LD_LIBRARY_PATH.
bool is_startup_variable(std::string_view name);

// The first start-up variable (by name) whose value differs between the two environments
// ("KEY=VALUE" entries), one that only one of them sets included; empty when none does.
std::string startup_variable_difference(const std::vector<std::string>& location_env,
                                        const std::vector<std::string>& server_env);

// A fork server's environment: the daemon's (`environ`, a null-terminated "KEY=VALUE" array)
// without the service manager's variables, PYTHONUNBUFFERED=1, and the channel's descriptor
// (ipc::kEnvChannelFd).
std::vector<std::string> fork_server_environment(char** environ_entries);

}  // namespace codeloc::daemon
