#include "daemon/processes/process_signals.h"

#include <cerrno>

#include <signal.h>
#include <sys/wait.h>

#include "daemon/processes/process_tree.h"

namespace codeloc::daemon {

void ProcessSignals::stop_group(pid_t group, int signal) {
  signal_group(group, signal);
  if (signal != SIGKILL && signal != SIGCONT) signal_group(group, SIGCONT);
}

void ProcessSignals::kill_location(pid_t leader, const std::string& token) {
  signal_group(leader, SIGKILL);
  for (pid_t pid : location_processes(leader, token))
    signal_process(pid, SIGKILL);
}

ProcessSignals& ProcessSignals::system() {
  static SystemProcessSignals signals;
  return signals;
}

std::optional<ReapedChild> SystemProcessSignals::reap_child() {
  int status = 0;
  pid_t pid;
  do {
    pid = ::waitpid(-1, &status, WNOHANG);
  } while (pid < 0 && errno == EINTR);
  if (pid <= 0) return std::nullopt;
  bool signaled = WIFSIGNALED(status);
  return ReapedChild{pid, ExitStatus{signaled, signaled ? WTERMSIG(status) : WEXITSTATUS(status)}};
}

void SystemProcessSignals::begin_scans() {
  batches_.push_back(std::make_unique<ProcessScanBatch>());
}

void SystemProcessSignals::end_scans() {
  if (!batches_.empty()) batches_.pop_back();
}

int SystemProcessSignals::signal_group(pid_t group, int signal) {
  return ::kill(-group, signal) == 0 ? 0 : errno;
}

int SystemProcessSignals::signal_process(pid_t pid, int signal) {
  return ::kill(pid, signal) == 0 ? 0 : errno;
}

std::vector<pid_t> SystemProcessSignals::location_processes(pid_t leader,
                                                            const std::string& token) {
  return daemon::location_processes(leader, token);
}

}  // namespace codeloc::daemon
