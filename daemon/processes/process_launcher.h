// Starting a location's child process, behind an interface (STYLE.md point 7): the real launcher
// forks and execs; tests of the layers above may substitute their own.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "daemon/common/unique_fd.h"
#include "daemon/processes/process_outcome.h"

namespace codeloc::daemon {

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] is a path, or a name looked up on the env's PATH
  std::vector<std::string> env;   // "KEY=VALUE", the child's whole environment
  std::filesystem::path working_directory;
  int channel_fd = -1;  // the child's end of the channel; it becomes fd 3 (ipc::kChildChannelFd)
  // A Python code server that may be forked from a warm interpreter (ForkServerPool); argv is
  // then <python> <codeloc_server> <arguments>.
  bool warm = false;
};

struct LaunchedChild {
  pid_t pid = -1;      // also the child's process group id
  UniqueFd stdout_fd;  // read ends, non-blocking, close-on-exec
  UniqueFd stderr_fd;
};

struct LaunchResult {
  LaunchOutcome::Kind kind = LaunchOutcome::Kind::kStarted;
  std::string error;  // for the failures: what could not be done, naming the path
  LaunchedChild child;
  bool warm = false;        // forked from a warm interpreter rather than exec'd
  std::string cold_reason;  // a warm start was asked for but this one is cold: why
};

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  virtual LaunchResult launch(const LaunchSpec& spec) = 0;
  // The same, without holding the event loop: `done` runs exactly once with the result, either
  // inside this call (a launcher with nothing to wait for: the default, which calls launch()) or
  // later from the event loop (ForkServerPool, while a fork server answers). spec.channel_fd must
  // stay open until `done` has run.
  virtual void launch_async(const LaunchSpec& spec, std::function<void(LaunchResult)> done) {
    done(launch(spec));
  }
  // For a launch that would be warm if it waited a little (ForkServerPool: its interpreter's fork
  // server is warming up for the first time): keeps `ready`, runs it once from the event loop
  // when waiting is over, and returns true; the caller launches then. False: launch now.
  virtual bool wait_until_warm(const LaunchSpec& /*spec*/, std::function<void()> /*ready*/) {
    return false;
  }
};

// fork + execve, never through a shell. The child:
//  - leads a new process group (pgid == pid), set on both sides of the fork;
//  - gets PR_SET_PDEATHSIG(SIGKILL), and exits at once if the daemon died before that was set;
//  - has stdin on /dev/null, stdout and stderr on pipes, the channel on fd 3, and every other
//    descriptor closed; default signal dispositions and an empty signal mask.
// Failures before exec (chdir, execve) come back through a close-on-exec pipe as kCannotStart
// with the reason; fork or pipe failures are kTransientFail.
class ForkExecLauncher final : public ProcessLauncher {
 public:
  LaunchResult launch(const LaunchSpec& spec) override;
};

// The daemon's own service-manager variables: a child that inherited them could send
// notifications (READY=1, WATCHDOG=1) in the daemon's name. A workspace entry's env: may still set
// them on purpose.
bool is_service_manager_variable(std::string_view name);

// The executable spec.argv[0] names, as ForkExecLauncher finds it (a relative path with a '/' is
// relative to the working directory; a bare name is looked up on the env's PATH). Empty when none.
std::string resolve_launch_path(const LaunchSpec& spec);

// The executable argv0 names: itself if it contains '/', else the first match on `path_env`
// (a PATH value). Empty when nothing executable is found.
std::string resolve_executable(const std::string& argv0, const std::string& path_env);

}  // namespace codeloc::daemon
