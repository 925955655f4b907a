// codeloc: a supervisor for code locations. One binary, subcommands (cli/commands.h).
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"codeloc: a supervisor for Dagster code locations", "codeloc"};
  app.set_version_flag("--version", std::string("codeloc ") + CODELOC_VERSION);
  app.require_subcommand(1);
  int exit_code = codeloc::cli::kExitOk;
  codeloc::cli::add_check_command(app, &exit_code);
  codeloc::cli::add_serve_command(app, &exit_code);
  codeloc::cli::add_dev_command(app, &exit_code);
  codeloc::cli::add_status_command(app, &exit_code);
  codeloc::cli::add_info_command(app, &exit_code);
  codeloc::cli::add_defs_command(app, &exit_code);
  codeloc::cli::add_reload_command(app, &exit_code);
  codeloc::cli::add_start_command(app, &exit_code);
  codeloc::cli::add_stop_command(app, &exit_code);
  codeloc::cli::add_restart_command(app, &exit_code);
  codeloc::cli::add_logs_command(app, &exit_code);
  codeloc::cli::add_call_command(app, &exit_code);
  codeloc::cli::add_events_command(app, &exit_code);
  codeloc::cli::add_dagster_workspace_command(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with status 0; everything else is a usage error.
    int status = app.exit(e);
    return status == 0 ? codeloc::cli::kExitOk : codeloc::cli::kExitUsage;
  }
  return exit_code;
}
