// Signals to processes, reaping the daemon's children and the /proc scan for a location's
// processes, behind an interface (STYLE.md point 7): the real one calls kill(2), waitpid(2) and
// process_tree.h; tests record what would have been sent, hand out the exits they script and say
// which processes are left (tests/daemon/fake_process_signals.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "daemon/processes/process_outcome.h"
#include "daemon/processes/process_tree.h"

namespace codeloc::daemon {

// One child of the daemon that exited, and how.
struct ReapedChild {
  pid_t pid = -1;
  ExitStatus status;
};

class ProcessSignals {
 public:
  virtual ~ProcessSignals() = default;
  // One exited child of the daemon, reaped (waitpid(-1, WNOHANG)); nullopt when none is waiting.
  virtual std::optional<ReapedChild> reap_child() = 0;
  // Between begin_scans() and end_scans() (nested pairs allowed), location_processes() may answer
  // from one pass over /proc (ProcessScanBatch in process_tree.h). Use ScanBatch.
  virtual void begin_scans() {}
  virtual void end_scans() {}
  class ScanBatch {
   public:
    explicit ScanBatch(ProcessSignals& signals) : signals_(signals) { signals_.begin_scans(); }
    ~ScanBatch() { signals_.end_scans(); }
    ScanBatch(const ScanBatch&) = delete;
    ScanBatch& operator=(const ScanBatch&) = delete;

   private:
    ProcessSignals& signals_;
  };
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
  std::optional<ReapedChild> reap_child() override;
  void begin_scans() override;
  void end_scans() override;
  int signal_group(pid_t group, int signal) override;
  int signal_process(pid_t pid, int signal) override;
  std::vector<pid_t> location_processes(pid_t leader, const std::string& token) override;

 private:
  std::vector<std::unique_ptr<ProcessScanBatch>> batches_;
};

}  // namespace codeloc::daemon
