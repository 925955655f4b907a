// How starting a process went and how it ended: the words the process layer and the supervision
// layer above it share.
#pragma once

#include <string>

namespace codeloc::daemon {

// What happened when something tried to start a child.
struct LaunchOutcome {
  enum class Kind {
    kStarted,        // a child runs
    kCannotStart,    // configuration problem (no such executable, bad cwd): not worth retrying
    kTransientFail,  // fork failed, out of fds...: retry with backoff
  };
  Kind kind = Kind::kStarted;
  std::string error;  // why, for the two failures
};

// How a process ended, as waitpid reported it.
struct ExitStatus {
  bool signaled = false;
  int value = 0;  // the exit code, or the signal number when signaled

  bool clean() const { return !signaled && value == 0; }
  // "exited with code 3", "killed by SIGKILL".
  std::string describe() const;
  bool operator==(const ExitStatus&) const = default;
};

}  // namespace codeloc::daemon
