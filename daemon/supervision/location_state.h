// The states of a supervised location (../shared/DESIGN.md, "A location's life").
#pragma once

#include <optional>
#include <string>

#include "daemon/processes/process_outcome.h"

namespace codeloc::daemon {

enum class LocationState {
  kStopped,    // no process; not wanted, or given up on (policy never, clean exit with on-failure)
  kStarting,   // a child runs and has not delivered definitions yet
  kLoaded,     // the child serves definitions
  kReloading,  // a new child loads beside the old one; clients keep the last definitions
  kLoadError,  // the user's code (or the location's configuration) cannot load; no restart loop
  kBackoff,    // the child crashed; a restart is due when the backoff timer fires
  kStopping,   // stop signal sent; waiting until every process of the location is gone
};

// "STOPPED", "STARTING", ... as shown to users and on the wire.
const char* state_name(LocationState state);

}  // namespace codeloc::daemon
