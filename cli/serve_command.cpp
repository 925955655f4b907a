// codeloc serve [-w FILE]... [daemon settings]: run the supervisor in the foreground.
// codeloc dev [-w FILE]... [daemon settings]: the same, for a laptop: watching on, its own socket,
// and the dev console (cli/dev_console.h) instead of the daemon log's location lines.
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

#include <unistd.h>

#include "cli/commands.h"
#include "cli/dev_console.h"
#include "cli/settings_options.h"
#include "config/settings_loader.h"
#include "daemon/daemon.h"
#include "daemon/logs/journal_sink.h"
#include "daemon/logs/logging.h"

namespace codeloc::cli {
namespace {

struct ServeOptions {
  std::vector<std::string> workspace_files;
  SettingsOptions settings;
};

constexpr const char* kWorkspaceExample = R"(  load_from:
    - python_file:
        relative_path: definitions.py      # a file with one Definitions object
        executable_path: .venv/bin/python  # the Python that can import it (optional)
    - python_module:
        module_name: my_project.definitions
        working_directory: .
)";

// Settings for serve and dev, or nullopt (with the errors printed and *exit_code set).
std::optional<config::Settings> resolve(const ServeOptions& options, bool dev, int* exit_code) {
  config::SettingsResult result = resolve_settings_options(options.settings);
  if (!result.ok()) {
    for (const auto& error : result.errors)
      std::cerr << "codeloc: " << error << "\n";
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  for (const auto& warning : result.warnings)
    std::cerr << "codeloc: warning: " << warning << "\n";
  if (!dev) {
    return serve_settings(result, daemon::stderr_is_journal(config::current_environment()));
  }
  return dev_settings(result, config::current_environment(), ::getuid());
}

int run(const ServeOptions& options, const config::Settings& settings,
        std::vector<daemon::SupervisorListener*> listeners, bool log_location_events,
        std::function<void(const std::string&)> on_ui_ready = {}) {
  daemon::DaemonOptions daemon_options;
  daemon_options.workspace_files = options.workspace_files;
  if (daemon_options.workspace_files.empty()) daemon_options.workspace_files = {"workspace.yaml"};
  daemon_options.settings = settings;
  daemon_options.listeners = std::move(listeners);
  daemon_options.log_location_events = log_location_events;
  daemon_options.on_ui_ready = std::move(on_ui_ready);
  return daemon::run_daemon(daemon_options) == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void add_serve_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ServeOptions>();
  auto* cmd =
      app.add_subcommand("serve", "Run the supervisor in the foreground, logging to stderr");
  cmd->add_option("-w,--workspace", options->workspace_files,
                  "workspace.yaml file(s), merged in order (default: ./workspace.yaml)");
  add_settings_options(cmd, &options->settings);
  cmd->callback([options, exit_code] {
    auto settings = resolve(*options, /*dev=*/false, exit_code);
    if (!settings) return;
    daemon::setup_logging(settings->log_format, settings->log_level,
                          daemon::journal_socket_path(config::current_environment()));
    *exit_code = run(*options, *settings, {}, /*log_location_events=*/true);
  });
}

void add_dev_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand(
      "dev", "Run the supervisor for development: reload locations when their files change");
  cmd->add_option("-w,--workspace", options->workspace_files,
                  "workspace.yaml file(s), merged in order (default: ./workspace.yaml)");
  add_settings_options(cmd, &options->settings);
  cmd->callback([options, exit_code] {
    if (options->workspace_files.empty() && !std::filesystem::exists("workspace.yaml")) {
      std::cerr << "codeloc dev: there is no workspace.yaml in "
                << std::filesystem::current_path().string()
                << "\nIt lists your code locations. Write one like this:\n\n"
                << kWorkspaceExample
                << "\nor name one with -w path/to/workspace.yaml (docs/workspace.md has every "
                   "key).\n";
      *exit_code = kExitUsage;
      return;
    }
    auto settings = resolve(*options, /*dev=*/true, exit_code);
    if (!settings) return;
    bool color = ::isatty(STDERR_FILENO) && !std::getenv("NO_COLOR");
    daemon::setup_dev_logging(settings->log_level, color);
    daemon::SystemClock clock;
    DevConsole console(std::cerr, clock, color);
    *exit_code = run(*options, *settings, {&console}, /*log_location_events=*/false,
                     [&console](const std::string& url) { console.ui_ready(url); });
  });
}

}  // namespace codeloc::cli
