#include "cli/commands.h"

namespace codeloc::cli {

void add_serve_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("serve", "(not implemented yet)");
  cmd->callback([exit_code] { *exit_code = kExitFailure; });
}

}  // namespace codeloc::cli
