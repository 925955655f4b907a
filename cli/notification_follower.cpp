#include "cli/notification_follower.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

namespace codeloc::cli {
namespace {

int g_signal_pipe_write = -1;  // written by the handler; async-signal-safe

void on_signal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe_write, &byte, 1);
  errno = saved;
}

// Catches SIGINT and SIGTERM into a pipe for its lifetime; restores the old handlers after.
class SignalPipe {
 public:
  SignalPipe() {
    if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw ipc::ClientError(ipc::ClientError::Kind::kIo,
                             std::string("cannot make a pipe: ") + std::strerror(errno));
    }
    g_signal_pipe_write = fds_[1];
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~SignalPipe() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    g_signal_pipe_write = -1;
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int read_fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace

FollowEnd follow_notifications(
    ipc::Client& client, const std::function<void(const ipc::Notification&)>& on_notification) {
  SignalPipe signals;
  try {
    for (;;) {
      // Everything already readable first (kept notifications, buffered frames), without waiting.
      while (auto notification = client.next_notification(std::chrono::milliseconds(0))) {
        on_notification(*notification);
      }
      pollfd fds[2] = {{signals.read_fd(), POLLIN, 0}, {client.fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        throw ipc::ClientError(ipc::ClientError::Kind::kIo,
                               std::string("cannot wait for the daemon: ") + std::strerror(errno));
      }
      if (fds[0].revents != 0) return FollowEnd::kInterrupted;
    }
  } catch (const ipc::ClientError& e) {
    if (e.kind() == ipc::ClientError::Kind::kClosed) return FollowEnd::kDaemonGone;
    throw;
  }
}

}  // namespace codeloc::cli
