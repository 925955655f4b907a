// The codeloc subcommands. Each add_*_command registers one subcommand on the top-level app; its
// callback stores the process exit status in *exit_code. Exit statuses (docs/cli.md):
//   0 success, 1 the command failed (invalid workspace, daemon error, ...), 2 usage error,
//   3 the daemon is not running.
#pragma once

#include <CLI/CLI.hpp>

namespace codeloc::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoDaemon = 3;

void add_check_command(CLI::App& app, int* exit_code);
void add_serve_command(CLI::App& app, int* exit_code);
void add_dev_command(CLI::App& app, int* exit_code);  // beside serve, in serve_command.cpp
void add_status_command(CLI::App& app, int* exit_code);
void add_info_command(CLI::App& app, int* exit_code);
void add_defs_command(CLI::App& app, int* exit_code);
void add_reload_command(CLI::App& app, int* exit_code);
// start, stop and restart live together in cli/lifecycle_commands.cpp.
void add_start_command(CLI::App& app, int* exit_code);
void add_stop_command(CLI::App& app, int* exit_code);
void add_restart_command(CLI::App& app, int* exit_code);
void add_logs_command(CLI::App& app, int* exit_code);
void add_call_command(CLI::App& app, int* exit_code);
void add_events_command(CLI::App& app, int* exit_code);
void add_dagster_workspace_command(CLI::App& app, int* exit_code);

}  // namespace codeloc::cli
