// The real NotifySender: libsystemd's sd_notify(3) to the socket in $NOTIFY_SOCKET, and
// sd_watchdog_enabled(3) for $WATCHDOG_USEC / $WATCHDOG_PID.
#pragma once

#include "daemon/service/service_notifier.h"

namespace codeloc::daemon {

class SdNotifySender final : public NotifySender {
 public:
  // True when a service manager listens ($NOTIFY_SOCKET is set and not empty). Without one the
  // daemon builds no ServiceNotifier at all.
  static bool requested();

  // Failures (the manager went away) are logged at debug level and otherwise ignored.
  void send(const std::string& message) override;
  std::optional<std::chrono::microseconds> watchdog_interval() const override;
  std::chrono::microseconds monotonic_now() const override;
};

}  // namespace codeloc::daemon
