// codeloc status [--json]: every location's state, from the running daemon.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/status_report.h"
#include "ipc/protocol.h"
#include "ipc/rpc_error.h"

namespace codeloc::cli {

void add_status_command(CLI::App& app, int* exit_code) {
  struct Options {
    std::string socket;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("status", "Show every location's state");
  add_socket_option(cmd, &options->socket);
  cmd->add_flag("--json", options->json, "print the locations.list result as JSON");
  cmd->callback([options, exit_code] {
    auto client = connect_to_daemon(options->socket, exit_code);
    if (!client) return;
    try {
      nlohmann::json result = client->call(ipc::method::kLocationsList);
      if (options->json) {
        std::cout << result.dump(2) << "\n";
      } else {
        std::cout << render_status_table(result["locations"], std::chrono::system_clock::now(),
                                         TableStyle{stdout_wants_color()});
      }
      *exit_code = kExitOk;
    } catch (const ipc::RpcError& e) {
      std::cerr << "codeloc: the daemon answered with an error: " << e.what() << "\n";
      *exit_code = kExitFailure;
    } catch (const ipc::ClientError& e) {
      std::cerr << "codeloc: " << e.what() << "\n";
      *exit_code = kExitFailure;
    }
  });
}

}  // namespace codeloc::cli
