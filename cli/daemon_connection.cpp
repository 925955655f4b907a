#include "cli/daemon_connection.h"

#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "cli/commands.h"
#include "config/settings_loader.h"

namespace codeloc::cli {

void add_socket_option(CLI::App* command, std::string* socket) {
  command->add_option("--socket", *socket,
                      "the daemon's control socket (default: $CODELOC_SOCKET, else the daemon's "
                      "default path)");
}

std::string client_socket_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  config::Environment environment = config::current_environment();
  if (auto it = environment.find("CODELOC_SOCKET");
      it != environment.end() && !it->second.empty()) {
    return it->second;
  }
  // The service's socket; when there is none but `codeloc dev` runs, the dev one.
  std::filesystem::path service = config::default_socket_path(environment, ::getuid());
  std::filesystem::path dev = config::default_dev_socket_path(environment, ::getuid());
  std::error_code ec;
  if (!std::filesystem::exists(service, ec) && std::filesystem::exists(dev, ec)) {
    return dev.string();
  }
  return service.string();
}

std::optional<ipc::Client> connect_to_daemon(const std::string& flag, int* exit_code) {
  std::string path = client_socket_path(flag);
  try {
    return ipc::Client::connect(path);
  } catch (const ipc::ClientError& e) {
    if (e.daemon_not_running()) {
      std::cerr << "codeloc: no daemon is running on " << path
                << " (start one with `codeloc serve -w workspace.yaml`, or `codeloc dev`)\n";
      *exit_code = kExitNoDaemon;
    } else {
      std::cerr << "codeloc: cannot reach the daemon on " << path << ": " << e.what() << "\n";
      *exit_code = kExitFailure;
    }
    return std::nullopt;
  }
}

}  // namespace codeloc::cli
