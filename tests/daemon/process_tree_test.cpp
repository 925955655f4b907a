#include "daemon/process_tree.h"

#include <algorithm>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "daemon/process_launcher.h"

namespace codeloc::daemon {
namespace {

// Reads the child's stdout until it has printed `lines` lines.
std::string read_lines(int fd, int lines) {
  ::fcntl(fd, F_SETFL, 0);
  std::string out;
  char c;
  while (lines > 0 && ::read(fd, &c, 1) == 1) {
    out += c;
    if (c == '\n') --lines;
  }
  return out;
}

TEST(ProcessTree, FindsTheGroupAndAGrandchildThatLeftIt) {
  LaunchSpec spec;
  // The child starts a grandchild in a new session (it leaves the group), prints its pid, waits.
  spec.argv = {"/bin/sh", "-c", "setsid sleep 300 & echo $!; exec sleep 300"};
  spec.env = {"PATH=/usr/bin:/bin", std::string(kEnvInstance) + "=test-token"};
  ForkExecLauncher launcher;
  LaunchResult result = launcher.launch(spec);
  ASSERT_EQ(result.kind, LaunchOutcome::Kind::kStarted) << result.error;
  pid_t child = result.child.pid;
  pid_t grandchild = std::stoi(read_lines(result.child.stdout_fd.get(), 1));

  auto procs = location_processes(child, "test-token");
  EXPECT_NE(std::find(procs.begin(), procs.end(), child), procs.end());
  EXPECT_NE(std::find(procs.begin(), procs.end(), grandchild), procs.end());

  for (pid_t pid : procs)
    ::kill(pid, SIGKILL);
  int status;
  ::waitpid(child, &status, 0);
  // The grandchild is not ours to reap unless we are a subreaper; wait until it is gone.
  for (int i = 0; i < 1000 && ::kill(grandchild, 0) == 0; ++i) {
    ::waitpid(-1, &status, WNOHANG);
    ::usleep(1000);
  }
  EXPECT_TRUE(location_processes(child, "test-token").empty());
}

}  // namespace
}  // namespace codeloc::daemon
