// codeloc serve [-w FILE]... [daemon settings]: run the supervisor in the foreground.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/settings_options.h"
#include "daemon/daemon.h"
#include "daemon/logging.h"

namespace codeloc::cli {

void add_serve_command(CLI::App& app, int* exit_code) {
  struct Options {
    std::vector<std::string> workspace_files;
    SettingsOptions settings;
  };
  auto options = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("serve", "Run the supervisor in the foreground, logging to stderr");
  cmd->add_option("-w,--workspace", options->workspace_files,
                  "workspace.yaml file(s), merged in order (default: ./workspace.yaml)");
  add_settings_options(cmd, &options->settings);
  cmd->callback([options, exit_code] {
    config::SettingsResult settings = resolve_settings_options(options->settings);
    if (!settings.ok()) {
      for (const auto& error : settings.errors)
        std::cerr << "codeloc: " << error << "\n";
      *exit_code = kExitUsage;
      return;
    }
    daemon::setup_logging(settings.settings.log_format, settings.settings.log_level);
    for (const auto& warning : settings.warnings)
      std::cerr << "codeloc: warning: " << warning << "\n";
    daemon::DaemonOptions daemon_options;
    daemon_options.workspace_files = options->workspace_files;
    if (daemon_options.workspace_files.empty()) daemon_options.workspace_files = {"workspace.yaml"};
    daemon_options.settings = settings.settings;
    *exit_code = daemon::run_daemon(daemon_options) == 0 ? kExitOk : kExitFailure;
  });
}

}  // namespace codeloc::cli
