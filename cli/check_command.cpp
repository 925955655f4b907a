#include "cli/commands.h"

namespace codeloc::cli {

void add_check_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("check", "(not implemented yet)");
  cmd->callback([exit_code] { *exit_code = kExitFailure; });
}

}  // namespace codeloc::cli
