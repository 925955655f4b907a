#include "daemon/processes/process_tree.h"

#include <algorithm>
#include <optional>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/processes/process_launcher.h"

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

// Starts `script` under /bin/sh with CODELOC_INSTANCE=`token`, in its own group (the launcher's).
LaunchResult process_tree_launch(const std::string& script, const std::string& token) {
  LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = {"PATH=/usr/bin:/bin", std::string(kEnvInstance) + "=" + token};
  ForkExecLauncher launcher;
  return launcher.launch(spec);
}

TEST(ProcessTree, AReapedLeaderAloneInItsGroupIsSurelyGone) {
  LaunchResult result = process_tree_launch("exit 0", "tree-lone");
  ASSERT_EQ(result.kind, LaunchOutcome::Kind::kStarted) << result.error;
  pid_t child = result.child.pid;
  EXPECT_FALSE(location_surely_gone(child, "tree-lone")) << "not reaped yet: it cannot tell";
  int status;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(location_surely_gone(child, "tree-lone"));
  EXPECT_TRUE(location_processes(child, "tree-lone").empty());
}

TEST(ProcessTree, AGroupMemberLeftBehindIsNotSurelyGone) {
  // The shell exits at once; the background sleep stays in its group.
  LaunchResult result = process_tree_launch("sleep 300 & echo $!", "tree-member");
  ASSERT_EQ(result.kind, LaunchOutcome::Kind::kStarted) << result.error;
  pid_t child = result.child.pid;
  pid_t member = std::stoi(read_lines(result.child.stdout_fd.get(), 1));
  int status;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_FALSE(location_surely_gone(child, "tree-member"));
  auto procs = location_processes(child, "tree-member");
  EXPECT_NE(std::find(procs.begin(), procs.end(), member), procs.end());
  ::kill(-child, SIGKILL);
  ::waitpid(member, &status, 0);  // ours to reap only when this process is a subreaper
}

TEST(ProcessTree, AChildOfOursCarryingTheTokenIsNotSurelyGone) {
  // What a grandchild that left the group becomes once its parent died: a child of the daemon
  // (a subreaper) with the location's token. sleep itself, not a shell exec'ing it: the launcher
  // returns once its child has exec'd, and a second exec (the shell's) could still be under way
  // when the test reads the environment, which shows empty meanwhile.
  LaunchSpec holder_spec;
  holder_spec.argv = {"/bin/sleep", "300"};
  holder_spec.env = {"PATH=/usr/bin:/bin", std::string(kEnvInstance) + "=tree-token"};
  LaunchResult holder = ForkExecLauncher().launch(holder_spec);
  ASSERT_EQ(holder.kind, LaunchOutcome::Kind::kStarted) << holder.error;
  LaunchResult leader = process_tree_launch("exit 0", "tree-token");
  ASSERT_EQ(leader.kind, LaunchOutcome::Kind::kStarted) << leader.error;
  int status;
  ASSERT_EQ(::waitpid(leader.child.pid, &status, 0), leader.child.pid);
  // The holder's environment is readable once it has exec'd (the launcher returns after that).
  EXPECT_FALSE(location_surely_gone(leader.child.pid, "tree-token"));
  auto procs = location_processes(leader.child.pid, "tree-token");
  EXPECT_NE(std::find(procs.begin(), procs.end(), holder.child.pid), procs.end());
  EXPECT_TRUE(location_surely_gone(leader.child.pid, "tree-other")) << "another token";
  ::kill(holder.child.pid, SIGKILL);
  ASSERT_EQ(::waitpid(holder.child.pid, &status, 0), holder.child.pid);
  EXPECT_TRUE(location_surely_gone(leader.child.pid, "tree-token"));
}

// Reading /proc/PID/stat of a process that was reaped after the file was opened fails with ESRCH.
// libstdc++'s filebuf throws std::ios_failure there, and the daemon used to read /proc through an
// istreambuf_iterator: any process on the machine exiting mid-scan aborted it ("terminate called
// after throwing an instance of 'std::__ios_failure'", found by bench/soak.py).
TEST(ProcessTree, AProcFileWhoseProcessWentAwayIsUnreadableNotAnException) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  int fd = ::open(("/proc/" + std::to_string(child) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::kill(child, SIGKILL);
  int status;
  ASSERT_EQ(::waitpid(child, &status, 0), child);

  std::optional<std::string> contents;
  EXPECT_NO_THROW(contents = read_to_end(fd));
  EXPECT_FALSE(contents.has_value());
  ::close(fd);
  EXPECT_FALSE(read_proc_file(child, "stat").has_value());
  EXPECT_TRUE(location_processes(child, "test-token").empty());
}

TEST(ProcessTree, ReadsALiveProcessFile) {
  std::optional<std::string> stat = read_proc_file(::getpid(), "stat");
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->rfind(std::to_string(::getpid()) + " (", 0), 0u) << *stat;
}

// A batch answers every call from its first pass over /proc: a process started after it is not
// seen until the batch ends (a "gone" is only ever late, never early).
TEST(ProcessTree, ABatchAnswersFromOnePass) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setpgid(0, 0);
    ::pause();
    ::_exit(0);
  }
  ::setpgid(child, child);  // either side may win the race; both ask for the same group
  pid_t late = -1;
  {
    ProcessScanBatch batch;
    EXPECT_EQ(location_processes(child, "").size(), 1u);
    late = ::fork();
    ASSERT_GE(late, 0);
    if (late == 0) {
      ::pause();
      ::_exit(0);
    }
    ::setpgid(late, child);
    EXPECT_EQ(location_processes(child, "").size(), 1u);  // the batch's pass, from before `late`
  }
  EXPECT_EQ(location_processes(child, "").size(), 2u);  // a fresh pass
  ::kill(late, SIGKILL);
  ::kill(child, SIGKILL);
  int status;
  ::waitpid(late, &status, 0);
  ::waitpid(child, &status, 0);
}

}  // namespace
}  // namespace codeloc::daemon
