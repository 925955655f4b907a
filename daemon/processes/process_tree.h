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

#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace codeloc::daemon {

inline constexpr const char* kEnvInstance = "CODELOC_INSTANCE";

// Reads `fd` to its end; nullopt on a read error. A /proc file of a process that exits between
// open and read fails with ESRCH, which happens all the time on a busy machine, and libstdc++'s
// filebuf throws std::ios_failure from underflow() on any read error (an istreambuf_iterator does
// not catch it): so /proc is read with this, never with streams.
std::optional<std::string> read_to_end(int fd);

// /proc/PID/NAME (`stat`, `environ`), or nullopt when it cannot be opened or read (gone).
std::optional<std::string> read_proc_file(pid_t pid, const char* name);

// One pass over /proc, or the batch's (below). `token` is the value of CODELOC_INSTANCE given to
// this location's child. When no batch has read /proc yet and location_surely_gone() says so, the
// answer is empty without a pass.
std::vector<pid_t> location_processes(pid_t leader, const std::string& token);

// True when no process of the location can be left, shown without reading every process's stat:
// the leader is gone (reaped: kill(leader, 0) is ESRCH), so is its group (kill(-leader, 0):
// ESRCH, zombies included), and no child of this process carries the token. That covers
// location_processes() exactly: once the group is empty, whatever the location left outside it
// has no living ancestor in the group, so it was re-parented to the daemon (a child subreaper)
// and is one of its children (found by the token) or their descendant (found only through such a
// child); without a subreaper it went to init, out of the scan's sight too. False: it cannot tell
// (something is left, or a /proc file of the daemon's own could not be read); scan then.
bool location_surely_gone(pid_t leader, const std::string& token);

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
