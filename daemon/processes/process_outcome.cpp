#include "daemon/processes/process_outcome.h"

#include "workspace/values.h"

namespace codeloc::daemon {

std::string ExitStatus::describe() const {
  if (signaled) return "killed by " + workspace::signal_name(value);
  return "exited with code " + std::to_string(value);
}

}  // namespace codeloc::daemon
