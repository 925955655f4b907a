#include "daemon/processes/orphan_sentinel.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/processes/process_tree.h"

namespace codeloc::daemon {

int kill_instances_with_prefix(const char* token_prefix) {
  const std::string marker = std::string(kEnvInstance) + "=" + token_prefix;
  const pid_t self = ::getpid();
  int killed = 0;
  // Two sweeps: a process forked during the first one is found by the second.
  for (int sweep = 0; sweep < 2; ++sweep) {
    DIR* dir = ::opendir("/proc");
    if (!dir) return killed;
    while (dirent* entry = ::readdir(dir)) {
      char* end = nullptr;
      long pid = std::strtol(entry->d_name, &end, 10);
      if (pid <= 0 || *end != '\0' || pid == self) continue;
      std::ifstream in("/proc/" + std::string(entry->d_name) + "/environ", std::ios::binary);
      std::string item;
      while (std::getline(in, item, '\0')) {
        if (item.compare(0, marker.size(), marker) == 0) {
          if (::kill(static_cast<pid_t>(pid), SIGKILL) == 0) ++killed;
          break;
        }
      }
    }
    ::closedir(dir);
  }
  return killed;
}

OrphanSentinel::OrphanSentinel() {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return;
  const std::string prefix = std::to_string(::getpid()) + "-";
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::close(pipe_fds[1]);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
      ::signal(sig, SIG_IGN);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    char byte;
    while (::read(pipe_fds[0], &byte, 1) != 0) {
      // Nothing is ever written: only end of file (the daemon is gone) ends the wait.
    }
    kill_instances_with_prefix(prefix.c_str());
    ::_exit(0);
  }
  ::setpgid(pid, pid);
  ::close(pipe_fds[0]);
  // The write end stays open, unused, for the daemon's whole life; close-on-exec keeps it out
  // of children.
  pid_ = pid;
  pipe_write_ = pipe_fds[1];
}

OrphanSentinel::~OrphanSentinel() {
  if (pid_ <= 0) return;
  ::close(pipe_write_);
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace codeloc::daemon
