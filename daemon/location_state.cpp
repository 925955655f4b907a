#include "daemon/location_state.h"

#include "workspace/values.h"

namespace codeloc::daemon {

const char* state_name(LocationState state) {
  switch (state) {
    case LocationState::kStopped:
      return "STOPPED";
    case LocationState::kStarting:
      return "STARTING";
    case LocationState::kLoaded:
      return "LOADED";
    case LocationState::kReloading:
      return "RELOADING";
    case LocationState::kLoadError:
      return "LOAD_ERROR";
    case LocationState::kBackoff:
      return "BACKOFF";
    case LocationState::kStopping:
      return "STOPPING";
  }
  return "UNKNOWN";
}

std::string ExitStatus::describe() const {
  if (signaled) return "killed by " + workspace::signal_name(value);
  return "exited with code " + std::to_string(value);
}

}  // namespace codeloc::daemon
