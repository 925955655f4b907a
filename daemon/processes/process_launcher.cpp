#include "daemon/processes/process_launcher.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/protocol.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace codeloc::daemon {
namespace {

// The child runs on a stack of its own until it execs (CLONE_VM), which AddressSanitizer does not
// know: its handler before a call that does not return (_exit, execve) would warn on the child's
// stderr, the daemon's log, that the stack looks wrong. The code that runs there is therefore
// not instrumented: a few system calls on prepared arguments.
#if defined(__SANITIZE_ADDRESS__)
#define CODELOC_CHILD_CODE __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CODELOC_CHILD_CODE __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef CODELOC_CHILD_CODE
#define CODELOC_CHILD_CODE
#endif

// What the child leaves in the daemon's memory (CLONE_VM) when it cannot exec: the failing step
// and errno. CLONE_VFORK holds the daemon until the child has exec'd or exited, so the daemon
// reads it after the clone without a pipe, as glibc's posix_spawn does.
struct ChildFailure {
  int step = 0;
  int error = 0;
};
enum Step : int { kStepChdir = 1, kStepExec = 2, kStepSetup = 3 };

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& entry : env) {
    if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 &&
        entry[key.size()] == '=') {
      return entry.substr(key.size() + 1);
    }
  }
  return {};
}

// Marks every descriptor from `first` up close-on-exec. close_range(CLOSE_RANGE_CLOEXEC) where the
// kernel has it (5.11+), else one fcntl per possible descriptor. Async-signal-safe.
CODELOC_CHILD_CODE void cloexec_from(int first) {
  if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  struct rlimit limit {};
  int max_fd = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < 65536) {
    max_fd = static_cast<int>(limit.rlim_cur);
  }
  for (int fd = first; fd < max_fd; ++fd)
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

[[noreturn]] CODELOC_CHILD_CODE void child_fail(ChildFailure* failure, int step) {
  failure->error = errno;
  failure->step = step;
  ::_exit(127);
}

// What the child needs between clone and exec, all prepared before the clone.
struct ExecArgs {
  pid_t parent;
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  int null_fd, out_fd, err_fd, channel_fd;
  ChildFailure* failure;
};

// Runs in the child between clone and exec: only async-signal-safe calls. The child shares the
// daemon's memory (CLONE_VM) until it execs, so it writes nothing but its own stack and errno.
[[noreturn]] CODELOC_CHILD_CODE void exec_child(const ExecArgs& a) {
  ::setpgid(0, 0);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(a.failure, kStepSetup);
  if (::getppid() != a.parent) ::_exit(1);  // the daemon died before the death signal was armed

  // Every signal is blocked (launch() blocked them before the clone): no daemon handler may run
  // here, on the daemon's memory. Reset the dispositions, then unblock everything.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // Move every source descriptor above the target range first, so the dup2s cannot clobber them.
  const int kHigh = 10;
  int null_fd = ::fcntl(a.null_fd, F_DUPFD, kHigh);
  int out_fd = ::fcntl(a.out_fd, F_DUPFD, kHigh);
  int err_fd = ::fcntl(a.err_fd, F_DUPFD, kHigh);
  int channel_fd = a.channel_fd;
  if (channel_fd >= 0) channel_fd = ::fcntl(channel_fd, F_DUPFD, kHigh);
  if (null_fd < 0 || out_fd < 0 || err_fd < 0 || (channel_fd < 0 && channel_fd != -1)) {
    child_fail(a.failure, kStepSetup);
  }
  if (::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    child_fail(a.failure, kStepSetup);
  }
  if (channel_fd >= 0 && ::dup2(channel_fd, ipc::kChildChannelFd) < 0) {
    child_fail(a.failure, kStepSetup);
  }
  if (a.cwd[0] != '\0' && ::chdir(a.cwd) != 0) child_fail(a.failure, kStepChdir);
  // Everything above the channel closes at exec.
  cloexec_from(ipc::kChildChannelFd + 1);
  ::execve(a.path, a.argv, a.envp);
  child_fail(a.failure, kStepExec);
}

CODELOC_CHILD_CODE int exec_child_entry(void* args) {
  exec_child(*static_cast<const ExecArgs*>(args));
}

// /dev/null for the children's stdin, opened once: a descriptor of the daemon's, close-on-exec
// (each child gets its own copy with dup2). -1 with errno when it cannot be opened.
int dev_null() {
  static int fd = -1;
  if (fd < 0) fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd;
}

// The child's stack until it execs (CLONE_VM: it must not run on the daemon's).
constexpr std::size_t kChildStackBytes = 64u << 10;

// clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: the daemon's page tables are not copied
// (fork() copies them, which takes milliseconds once the daemon holds a 50 MB snapshot), and the
// daemon resumes once the child has exec'd or failed. Signals stay blocked across the clone.
pid_t spawn_child(ExecArgs args) {
  // Not zeroed, so only the pages the child touches are ever backed. new[] aligns it for any
  // type, and kChildStackBytes keeps the top 16-byte aligned.
  std::unique_ptr<char[]> stack(new char[kChildStackBytes]);
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::clone(exec_child_entry, stack.get() + kChildStackBytes,
                            CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = clone_errno;
  return pid;
}

}  // namespace

std::string resolve_executable(const std::string& argv0, const std::string& path_env) {
  if (argv0.empty()) return {};
  if (argv0.find('/') != std::string::npos) return is_executable_file(argv0) ? argv0 : "";
  std::string path = path_env.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_env;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + argv0;
    if (is_executable_file(candidate)) return candidate;
    begin = end + 1;
  }
  return {};
}

bool is_service_manager_variable(std::string_view name) {
  return name == "NOTIFY_SOCKET" || name == "WATCHDOG_USEC" || name == "WATCHDOG_PID";
}

std::string resolve_launch_path(const LaunchSpec& spec) {
  if (spec.argv.empty()) return {};
  // A relative path with a '/' is relative to the child's working directory, as exec sees it.
  std::string argv0 = spec.argv[0];
  if (argv0.find('/') != std::string::npos && argv0[0] != '/' && !spec.working_directory.empty()) {
    argv0 = (spec.working_directory / argv0).string();
  }
  return resolve_executable(argv0, env_value(spec.env, "PATH"));
}

LaunchResult ForkExecLauncher::launch(const LaunchSpec& spec) {
  LaunchResult result;
  auto fail = [&](LaunchOutcome::Kind kind, std::string error) {
    result.kind = kind;
    result.error = std::move(error);
    return std::move(result);
  };
  if (spec.argv.empty()) return fail(LaunchOutcome::Kind::kCannotStart, "empty argv");

  std::string path = resolve_launch_path(spec);
  if (path.empty()) {
    return fail(LaunchOutcome::Kind::kCannotStart,
                spec.argv[0].find('/') != std::string::npos
                    ? "cannot start '" + spec.argv[0] + "': no such executable file"
                    : "cannot start '" + spec.argv[0] + "': not found on PATH");
  }
  std::error_code ec;
  if (!spec.working_directory.empty() &&
      !std::filesystem::is_directory(spec.working_directory, ec)) {
    return fail(LaunchOutcome::Kind::kCannotStart,
                "working directory '" + spec.working_directory.string() + "' does not exist");
  }

  // Everything the child needs is prepared before fork: after it, no allocation.
  std::vector<char*> argv;
  for (const auto& arg : spec.argv)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : spec.env)
    envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  std::string cwd = spec.working_directory.string();

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return fail(LaunchOutcome::Kind::kTransientFail, std::string("pipe: ") + std::strerror(errno));
  }
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return fail(LaunchOutcome::Kind::kTransientFail, std::string("pipe: ") + std::strerror(errno));
  }
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  const int null_fd = dev_null();
  if (null_fd < 0) {
    return fail(LaunchOutcome::Kind::kTransientFail,
                std::string("/dev/null: ") + std::strerror(errno));
  }

  ChildFailure failure;
  const pid_t pid =
      spawn_child(ExecArgs{::getpid(), path.c_str(), argv.data(), envp.data(), cwd.c_str(), null_fd,
                           out_write.get(), err_write.get(), spec.channel_fd, &failure});
  if (pid < 0) {
    return fail(LaunchOutcome::Kind::kTransientFail, std::string("clone: ") + std::strerror(errno));
  }
  // The child is in its own group by now: it set it before exec'ing, and CLONE_VFORK held this
  // thread until then (a setpgid from here would only fail with EACCES, and took 0.6 ms).
  out_write.reset();
  err_write.reset();

  if (failure.step != 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const char* why = std::strerror(failure.error);
    switch (failure.step) {
      case kStepChdir:
        return fail(LaunchOutcome::Kind::kCannotStart,
                    "cannot enter working directory '" + cwd + "': " + why);
      case kStepExec:
        return fail(LaunchOutcome::Kind::kCannotStart, "cannot execute '" + path + "': " + why);
      default:
        return fail(LaunchOutcome::Kind::kTransientFail, std::string("child setup: ") + why);
    }
  }

  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
  result.child.pid = pid;
  result.child.stdout_fd = std::move(out_read);
  result.child.stderr_fd = std::move(err_read);
  return result;
}

}  // namespace codeloc::daemon
