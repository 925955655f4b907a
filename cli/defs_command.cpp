// codeloc defs NAME [--json]: a location's definitions (location.definitions), summarized, or
// with --json the snapshot bytes exactly as the code server sent them.
#include <iostream>
#include <memory>

#include "cli/client_command.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/defs_report.h"
#include "ipc/json_span.h"
#include "ipc/protocol.h"

namespace codeloc::cli {

void add_defs_command(CLI::App& app, int* exit_code) {
  struct Options {
    std::string socket;
    std::string name;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("defs", "Summarize a location's definitions");
  cmd->add_option("NAME", options->name, "the location")->required();
  add_socket_option(cmd, &options->socket);
  cmd->add_flag("--json", options->json,
                "print the definitions snapshot exactly as the code server sent it");
  cmd->callback([options, exit_code] {
    run_with_daemon(options->socket, exit_code, [&](ipc::Client& client) {
      std::string raw =
          client.call_raw(ipc::method::kLocationDefinitions, {{"name", options->name}});
      if (options->json) {
        auto snapshot = ipc::member_span(raw, "definitions");
        if (!snapshot) {
          std::cerr << "codeloc: the daemon's answer has no definitions\n";
          return kExitFailure;
        }
        std::cout << *snapshot << "\n";
        auto stale = ipc::member_span(raw, "stale");
        if (stale && *stale == "true") {
          std::cerr << "codeloc: stale: " << options->name
                    << " is not loaded; these are its last good definitions\n";
        }
        return kExitOk;
      }
      std::cout << render_definitions(nlohmann::json::parse(raw), TableStyle{stdout_wants_color()});
      return kExitOk;
    });
  });
}

}  // namespace codeloc::cli
