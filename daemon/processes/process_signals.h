// Signals to processes and the /proc scan for a location's processes, behind an interface
// (STYLE.md point 7): the real one calls kill(2) and process_tree.h; tests record what would have
// been sent and say which processes are left (tests/daemon/fake_process_signals.h).
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace codeloc::daemon {

class ProcessSignals {
 public:
  virtual ~ProcessSignals() = default;
  // kill(-group, signal): 0, or the errno.
  virtual int signal_group(pid_t group, int signal) = 0;
  // kill(pid, signal): 0, or the errno.
  virtual int signal_process(pid_t pid, int signal) = 0;
  // The processes of the location whose child is `leader` with instance token `token` that are
  // still alive (location_processes in process_tree.h, with its batching).
  virtual std::vector<pid_t> location_processes(pid_t leader, const std::string& token) = 0;

  // `signal` to the group, then SIGCONT (unless the signal is SIGKILL or SIGCONT): as systemd
  // does, so that a stopped process (SIGSTOP, a debugger, Ctrl-Z) acts on a handled stop signal
  // now instead of holding it pending until the stop timeout.
  void stop_group(pid_t group, int signal);
  // SIGKILL to the group and to every remaining process of the location (see above).
  void kill_location(pid_t leader, const std::string& token);

  // The real implementation, shared by the whole daemon (it has no state).
  static ProcessSignals& system();
};

class SystemProcessSignals final : public ProcessSignals {
 public:
  int signal_group(pid_t group, int signal) override;
  int signal_process(pid_t pid, int signal) override;
  std::vector<pid_t> location_processes(pid_t leader, const std::string& token) override;
};

}  // namespace codeloc::daemon
