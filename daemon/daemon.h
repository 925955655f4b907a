// `codeloc serve`: composes the Supervisor, the control socket and the signal handling on one
// io_context, runs until a signal stops it, and returns the process exit status. Not a god
// object: each part is its own class; this file only wires them (STYLE.md, "Traps").
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "daemon/supervision/supervisor.h"

namespace codeloc::daemon {

struct DaemonOptions {
  std::vector<std::string> workspace_files;  // -w, in order
  config::Settings settings;
  // Log every location event (state changes, reloads, child output) through spdlog. `codeloc dev`
  // turns it off and shows them through its own listener instead.
  bool log_location_events = true;
  // More listeners (not owned; they must outlive run_daemon).
  std::vector<SupervisorListener*> listeners;
  // With settings.ui: told the Dagster UI's URL once its webserver answers (`codeloc dev` shows
  // it); unset: the URL is logged.
  std::function<void(const std::string& url)> on_ui_ready;
};

// Runs the daemon in the foreground. 0 after a clean stop (SIGTERM/SIGINT); 1 when it cannot
// start (invalid workspace, socket in use), with the reasons logged.
int run_daemon(const DaemonOptions& options);

}  // namespace codeloc::daemon
