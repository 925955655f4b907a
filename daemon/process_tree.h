// Finding every process that belongs to a location, so that a stop leaves none behind. A location's
// processes are:
//  - the members of its process group (pgid == the child's pid);
//  - the descendants of its child, by parent links, even when they left the group (setsid);
//  - orphans re-parented to the daemon (it is a child subreaper) whose environment carries the
//    location's instance token (CODELOC_INSTANCE, set at launch and inherited), which covers
//    daemonizing grandchildren after the child itself is gone.
// A process that leaves the group, is re-parented elsewhere and scrubs its environment escapes;
// that is the documented limit (docs/supervision.md). Zombies are not counted: they hold nothing
// and the daemon reaps its own.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace codeloc::daemon {

inline constexpr const char* kEnvInstance = "CODELOC_INSTANCE";

// One pass over /proc, or the batch's (below). `token` is the value of CODELOC_INSTANCE given to
// this location's child.
std::vector<pid_t> location_processes(pid_t leader, const std::string& token);

// While one lives, location_processes() reads /proc once and answers every call from that pass.
// The daemon asks about every location after one event (a reaped child, a state change), and a
// pass costs a read of every process's stat file. Within a batch a process that died since the pass
// still counts as alive, which only delays a "gone" to the next look. Batches nest; single thread.
class ProcessScanBatch {
 public:
  ProcessScanBatch();
  ~ProcessScanBatch();
  ProcessScanBatch(const ProcessScanBatch&) = delete;
  ProcessScanBatch& operator=(const ProcessScanBatch&) = delete;
};

}  // namespace codeloc::daemon
