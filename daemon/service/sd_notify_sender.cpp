#include "daemon/service/sd_notify_sender.h"

#include <cstdlib>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace codeloc::daemon {

bool SdNotifySender::requested() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket && *socket;
}

void SdNotifySender::send(const std::string& message) {
  // unset_environment = 0: the variables stay for the next message; the daemon's children do not
  // inherit them (Location::launch_spec leaves them out).
  int result = ::sd_notify(0, message.c_str());
  if (result < 0) spdlog::debug("sd_notify failed: {}", std::strerror(-result));
}

std::optional<std::chrono::microseconds> SdNotifySender::watchdog_interval() const {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

std::chrono::microseconds SdNotifySender::monotonic_now() const {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::nanoseconds(now.tv_nsec));
}

}  // namespace codeloc::daemon
