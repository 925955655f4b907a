#include "daemon/supervision/location_state.h"

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

}  // namespace codeloc::daemon
