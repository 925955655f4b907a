#include "daemon/service/sd_notify_sender.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/common/parse_number.h"

namespace codeloc::daemon {

bool SdNotifySender::requested() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket && *socket;
}

int SdNotifySender::notify(const char* address, const std::string& message) {
  if (!address || !*address) return 0;  // nobody listens: sd_notify returns 0 too
  sockaddr_un target{};
  target.sun_family = AF_UNIX;
  // A path ("/run/systemd/notify") or an abstract name ("@..."); systemd's vsock: addresses
  // (v253+, for virtual machines) are not spoken here.
  bool abstract = address[0] == '@';
  if (!abstract && address[0] != '/') return -EAFNOSUPPORT;
  std::size_t length = std::strlen(address);
  // A path keeps its NUL; an abstract name's length is all that marks its end.
  if (length < 2) return -EINVAL;
  if (length + (abstract ? 0 : 1) > sizeof target.sun_path) return -ENAMETOOLONG;
  std::memcpy(target.sun_path, address, length);
  if (abstract) target.sun_path[0] = '\0';
  auto target_size =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + (abstract ? 0 : 1));

  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  ssize_t sent = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const sockaddr*>(&target), target_size);
  int result = sent < 0 ? -errno : 0;
  ::close(fd);
  return result;
}

void SdNotifySender::send(const std::string& message) {
  // The variables stay for the next message; the daemon's children do not inherit them
  // (Location::launch_spec leaves them out).
  int result = notify(std::getenv("NOTIFY_SOCKET"), message);
  if (result < 0) spdlog::debug("sd_notify failed: {}", std::strerror(-result));
}

std::optional<std::chrono::microseconds> SdNotifySender::watchdog_from(const char* usec,
                                                                       const char* pid_text,
                                                                       long pid) {
  auto interval = parse_number<std::uint64_t>(usec ? usec : "");
  if (!interval || *interval == 0) return std::nullopt;
  if (pid_text) {
    // Set by the manager for the main process: a child that inherited it is not the one watched.
    auto watched = parse_number<long>(pid_text);
    if (!watched || *watched != pid) return std::nullopt;
  }
  return std::chrono::microseconds(*interval);
}

std::optional<std::chrono::microseconds> SdNotifySender::watchdog_interval() const {
  return watchdog_from(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), ::getpid());
}

std::chrono::microseconds SdNotifySender::monotonic_now() const {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::nanoseconds(now.tv_nsec));
}

}  // namespace codeloc::daemon
