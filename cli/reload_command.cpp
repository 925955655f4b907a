// codeloc reload [NAME] [--json]: reload one location (location.reload, waiting for it to
// settle) or the workspace files (workspace.reload). Exits 1 when the code did not load or the
// workspace has errors.
#include <iostream>
#include <memory>

#include "cli/client_command.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/reload_report.h"
#include "ipc/protocol.h"

namespace codeloc::cli {
namespace {

struct ReloadOptions {
  std::string socket;
  std::string name;
  bool json = false;
};

int reload_location(ipc::Client& client, const ReloadOptions& options) {
  nlohmann::json result =
      client.call(ipc::method::kLocationReload, {{"name", options.name}, {"wait", true}});
  if (options.json) {
    std::cout << result.dump(2) << "\n";
  } else if (reload_failed(result)) {
    std::cerr << render_location_reload(result);
  } else {
    std::cout << render_location_reload(result);
  }
  return reload_failed(result) ? kExitFailure : kExitOk;
}

int reload_workspace(ipc::Client& client, const ReloadOptions& options) {
  try {
    nlohmann::json result = client.call(ipc::method::kWorkspaceReload);
    std::cout << (options.json ? result.dump(2) + "\n" : render_workspace_reload(result));
    return kExitOk;
  } catch (const ipc::RpcError& e) {
    if (e.code() != ipc::error_code::kWorkspaceInvalid) throw;
    if (options.json) {
      std::cout << nlohmann::json{{"error", e.to_json()}}.dump(2) << "\n";
    } else {
      std::cerr << "codeloc: " << render_workspace_errors(e.data());
    }
    return kExitFailure;
  }
}

}  // namespace

void add_reload_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ReloadOptions>();
  auto* cmd = app.add_subcommand(
      "reload", "Reload a location's code (wait for it), or without NAME the workspace files");
  cmd->add_option("NAME", options->name, "the location (default: re-read the workspace files)");
  add_socket_option(cmd, &options->socket);
  cmd->add_flag("--json", options->json, "print the daemon's result as JSON");
  cmd->callback([options, exit_code] {
    run_with_daemon(options->socket, exit_code, [&](ipc::Client& client) {
      return options->name.empty() ? reload_workspace(client, *options)
                                   : reload_location(client, *options);
    });
  });
}

}  // namespace codeloc::cli
