// The orphan sentinel: a small process forked at startup that outlives the daemon by a moment.
// PR_SET_PDEATHSIG takes each location's child down with a killed daemon, but not the child's own
// descendants (the death signal is not inherited), and a grandchild that called setsid() is out
// of every process group. The sentinel holds the read end of a pipe whose only writer is the
// daemon; when the daemon dies, however it dies, the pipe reaches end of file and the sentinel
// SIGKILLs every process whose environment carries one of this daemon's instance tokens
// (CODELOC_INSTANCE=<daemon pid>-...), then exits.
#pragma once

#include <sys/types.h>

namespace codeloc::daemon {

// The running sentinel, owned by the daemon. Destroying it (a clean exit) ends the sentinel and
// reaps it, so a clean exit leaves no process behind.
class OrphanSentinel {
 public:
  // Forks the sentinel (in its own process group, so a terminal's Ctrl-C does not reach it).
  // REQUIRES: called while the daemon is single-threaded, before any child is started.
  // running() is false when it could not be started (the daemon runs on without it).
  OrphanSentinel();
  ~OrphanSentinel();
  OrphanSentinel(const OrphanSentinel&) = delete;
  OrphanSentinel& operator=(const OrphanSentinel&) = delete;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int pipe_write_ = -1;
};

// The sentinel's sweep, callable on its own for tests: SIGKILLs every process (other than the
// caller) whose environment holds CODELOC_INSTANCE=<prefix>...; returns how many it signalled.
int kill_instances_with_prefix(const char* token_prefix);

}  // namespace codeloc::daemon
