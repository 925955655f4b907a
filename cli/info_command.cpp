// codeloc info [--json]: what daemon answers on the socket (daemon.info).
#include <iostream>
#include <memory>

#include "cli/client_command.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/info_report.h"
#include "ipc/protocol.h"

namespace codeloc::cli {

void add_info_command(CLI::App& app, int* exit_code) {
  struct Options {
    std::string socket;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("info", "Show the running daemon: version, pid, socket, workspace");
  add_socket_option(cmd, &options->socket);
  cmd->add_flag("--json", options->json, "print the daemon.info result as JSON");
  cmd->callback([options, exit_code] {
    run_with_daemon(options->socket, exit_code, [&](ipc::Client& client) {
      nlohmann::json info = client.call(ipc::method::kDaemonInfo);
      std::cout << (options->json ? info.dump(2) + "\n" : render_daemon_info(info));
      return kExitOk;
    });
  });
}

}  // namespace codeloc::cli
