// Processes the daemon starts besides the locations' children (the fork servers of
// daemon/processes/fork_server_pool.h, Dagster's webserver and daemon of daemon/ui/dagster_ui.h):
// the Supervisor reaps them, stops them before or after the locations on shutdown (HelperStop), and
// kills them with everything else.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "daemon/processes/process_outcome.h"

namespace codeloc::daemon {

// When a set of helpers is stopped at shutdown, relative to the locations.
enum class HelperStop {
  kBeforeLocations,  // they use the locations (Dagster's UI): gone before any location stops
  kAfterLocations,   // the locations use them (fork servers): kept until every location is gone
};

class HelperProcesses {
 public:
  virtual ~HelperProcesses() = default;
  // A reaped child no location owns: true when it was one of these.
  virtual bool on_reaped(pid_t pid, ExitStatus status) = 0;
  // Stops them all; `done` runs once none is left.
  virtual void stop_all(std::function<void()> done) = 0;
  // SIGKILL to all of them now.
  virtual void kill_all_now() = 0;
  // What daemon.info shows of them, under the key info_key() ("fork_servers").
  virtual nlohmann::json info() const = 0;
  virtual const char* info_key() const = 0;
};

}  // namespace codeloc::daemon
