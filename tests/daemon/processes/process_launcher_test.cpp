#include "daemon/processes/process_launcher.h"

#include <filesystem>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

namespace codeloc::daemon {
namespace {

std::string read_all(int fd) {
  ::fcntl(fd, F_SETFL, 0);  // blocking: the child's exit closes the pipe
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

LaunchSpec shell(const std::string& script) {
  LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = {"PATH=/usr/bin:/bin", "CODELOC_PROBE=hello"};
  spec.working_directory = "/";
  return spec;
}

TEST(ForkExecLauncher, ChildGetsItsEnvironmentCwdAndOwnProcessGroup) {
  auto dir = std::filesystem::temp_directory_path();
  LaunchSpec spec = shell("echo \"$CODELOC_PROBE\"; pwd; ps -o pgid= -p $$ | tr -d ' '; echo $$");
  spec.working_directory = dir;
  ForkExecLauncher launcher;
  LaunchResult result = launcher.launch(spec);
  ASSERT_EQ(result.kind, LaunchOutcome::Kind::kStarted) << result.error;
  std::string out = read_all(result.child.stdout_fd.get());
  std::string pid = std::to_string(result.child.pid);
  EXPECT_EQ(out,
            "hello\n" + std::filesystem::canonical(dir).string() + "\n" + pid + "\n" + pid + "\n");
  EXPECT_EQ(wait_exit_code(result.child.pid), 0);
}

// The daemon blocks or ignores signals of its own (Asio's signal_set, SIGPIPE): the child starts
// with none blocked or ignored, whatever the launching thread had, and the launching thread's
// mask is as it was.
TEST(ForkExecLauncher, ChildStartsWithNoSignalBlockedOrIgnored) {
  sigset_t usr1, before, after;
  ::sigemptyset(&usr1);
  ::sigaddset(&usr1, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &usr1, &before);
  struct sigaction ignore {
  }, old_usr2{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGUSR2, &ignore, &old_usr2);
  ForkExecLauncher launcher;
  LaunchSpec spec;
  spec.argv = {"/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"};
  LaunchResult result = launcher.launch(spec);
  ::pthread_sigmask(SIG_SETMASK, nullptr, &after);
  ::sigaction(SIGUSR2, &old_usr2, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  ASSERT_EQ(result.kind, LaunchOutcome::Kind::kStarted) << result.error;
  EXPECT_EQ(read_all(result.child.stdout_fd.get()),
            "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  EXPECT_EQ(wait_exit_code(result.child.pid), 0);
  EXPECT_TRUE(::sigismember(&after, SIGUSR1));
  EXPECT_FALSE(::sigismember(&after, SIGUSR2));
}

TEST(ForkExecLauncher, StderrIsItsOwnPipeAndStdinIsDevNull) {
  ForkExecLauncher launcher;
  LaunchResult result = launcher.launch(shell("echo oops >&2; cat; echo done"));
  ASSERT_EQ(result.kind, LaunchOutcome::Kind::kStarted) << result.error;
  EXPECT_EQ(read_all(result.child.stdout_fd.get()), "done\n");
  EXPECT_EQ(read_all(result.child.stderr_fd.get()), "oops\n");
  EXPECT_EQ(wait_exit_code(result.child.pid), 0);
}

TEST(ForkExecLauncher, OnlyStdioAndTheChannelStayOpen) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  int leaked = ::open("/dev/null", O_RDONLY);  // not close-on-exec: must not reach the child
  LaunchSpec spec = shell("ls /proc/self/fd | sort -n | tr '\\n' ' '");
  spec.channel_fd = pair[1];
  ForkExecLauncher launcher;
  LaunchResult result = launcher.launch(spec);
  ASSERT_EQ(result.kind, LaunchOutcome::Kind::kStarted) << result.error;
  // ls itself opens one more descriptor (3 is the channel, the directory is 4 or above).
  std::string out = read_all(result.child.stdout_fd.get());
  EXPECT_EQ(out.substr(0, 8), "0 1 2 3 ") << out;
  EXPECT_LE(out.size(), std::string("0 1 2 3 4 ").size()) << out;
  EXPECT_EQ(wait_exit_code(result.child.pid), 0);
  ::close(leaked);
  ::close(pair[0]);
  ::close(pair[1]);
}

TEST(ForkExecLauncher, MissingExecutableCannotStartAndNamesIt) {
  ForkExecLauncher launcher;
  LaunchSpec spec = shell("");
  spec.argv = {"/nonexistent/venv/bin/python"};
  LaunchResult result = launcher.launch(spec);
  EXPECT_EQ(result.kind, LaunchOutcome::Kind::kCannotStart);
  EXPECT_EQ(result.error, "cannot start '/nonexistent/venv/bin/python': no such executable file");
  spec.argv = {"codeloc-no-such-program"};
  result = launcher.launch(spec);
  EXPECT_EQ(result.kind, LaunchOutcome::Kind::kCannotStart);
  EXPECT_EQ(result.error, "cannot start 'codeloc-no-such-program': not found on PATH");
}

TEST(ForkExecLauncher, MissingWorkingDirectoryCannotStart) {
  ForkExecLauncher launcher;
  LaunchSpec spec = shell("true");
  spec.working_directory = "/nonexistent/project";
  LaunchResult result = launcher.launch(spec);
  EXPECT_EQ(result.kind, LaunchOutcome::Kind::kCannotStart);
  EXPECT_EQ(result.error, "working directory '/nonexistent/project' does not exist");
}

// An executable file the kernel cannot run fails in the child, after the clone: the child leaves
// its step and errno in the daemon's memory, and the launch names both.
TEST(ForkExecLauncher, AnExecThatFailsInTheChildCannotStartAndSaysWhy) {
  auto path = std::filesystem::temp_directory_path() /
              ("codeloc-not-a-program-" + std::to_string(::getpid()));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd,
                    "\x7f"
                    "ELF not really",
                    15),
            15);
  ::close(fd);
  ForkExecLauncher launcher;
  LaunchSpec spec = shell("");
  spec.argv = {path.string()};
  LaunchResult result = launcher.launch(spec);
  std::filesystem::remove(path);
  EXPECT_EQ(result.kind, LaunchOutcome::Kind::kCannotStart);
  EXPECT_EQ(result.error, "cannot execute '" + path.string() + "': Exec format error");
  EXPECT_EQ(result.child.pid, -1);  // no child: it was reaped
  // And the launcher works on: the next launch starts.
  result = launcher.launch(shell("exit 3"));
  ASSERT_EQ(result.kind, LaunchOutcome::Kind::kStarted) << result.error;
  EXPECT_EQ(wait_exit_code(result.child.pid), 3);
}

TEST(ForkExecLauncher, NameIsLookedUpOnTheChildsPath) {
  EXPECT_EQ(resolve_executable("sh", "/nonexistent:/bin"), "/bin/sh");
  EXPECT_EQ(resolve_executable("sh", "/nonexistent"), "");
  EXPECT_EQ(resolve_executable("/bin/sh", ""), "/bin/sh");
}

}  // namespace
}  // namespace codeloc::daemon
