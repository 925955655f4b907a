// codeloc dagster-workspace [-o FILE] [--json]: a Dagster workspace.yaml of the running daemon's
// locations as gRPC servers (daemon/dagster/dagster_workspace.h), for a dagster-webserver or
// dagster-daemon run outside codeloc.
#include <iostream>
#include <memory>

#include "cli/client_command.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "daemon/common/atomic_file.h"
#include "daemon/dagster/dagster_workspace.h"
#include "ipc/protocol.h"

namespace codeloc::cli {

void add_dagster_workspace_command(CLI::App& app, int* exit_code) {
  struct Options {
    std::string socket;
    std::string output;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "dagster-workspace",
      "Write a Dagster workspace.yaml of the daemon's locations as gRPC servers");
  add_socket_option(cmd, &options->socket);
  cmd->add_option("-o,--output", options->output,
                  "write it to FILE (atomically) instead of stdout");
  cmd->add_flag("--json", options->json, "the same workspace as JSON (also valid YAML)");
  cmd->callback([options, exit_code] {
    run_with_daemon(options->socket, exit_code, [&](ipc::Client& client) {
      nlohmann::json result = client.call(ipc::method::kLocationsList);
      nlohmann::json entries = result.value("locations", nlohmann::json::array());
      std::string text = options->json ? daemon::dagster_workspace(entries).dump(2) + "\n"
                                       : daemon::dagster_workspace_yaml(entries);
      if (options->output.empty()) {
        std::cout << text;
        return kExitOk;
      }
      std::string error = daemon::write_file_atomically(options->output, text);
      if (!error.empty()) {
        std::cerr << "codeloc: " << error << "\n";
        return kExitFailure;
      }
      return kExitOk;
    });
  });
}

}  // namespace codeloc::cli
