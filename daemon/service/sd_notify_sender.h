// The real NotifySender: systemd's notification protocol (sd_notify(3)) spoken directly, one
// datagram per message to the AF_UNIX socket in $NOTIFY_SOCKET, and the watchdog settings from
// $WATCHDOG_USEC / $WATCHDOG_PID as sd_watchdog_enabled(3) reads them. Both are systemd's stable,
// documented interfaces (systemd.io, "sd_notify ... can be reimplemented"); speaking them here
// keeps libsystemd and the six libraries it loads (~0.8 MiB resident) out of the daemon.
// tests/daemon/service/sd_notify_sender_test.cpp holds both to libsystemd's own functions.
#pragma once

#include <optional>
#include <string>

#include "daemon/service/service_notifier.h"

namespace codeloc::daemon {

class SdNotifySender final : public NotifySender {
 public:
  // True when a service manager listens ($NOTIFY_SOCKET is set and not empty). Without one the
  // daemon builds no ServiceNotifier at all.
  static bool requested();

  // Failures (the manager went away, an address this implementation does not speak) are logged
  // at debug level and otherwise ignored, as sd_notify's callers do.
  void send(const std::string& message) override;
  std::optional<std::chrono::microseconds> watchdog_interval() const override;
  std::chrono::microseconds monotonic_now() const override;

  // The pieces, for tests. notify() sends `message` to the socket named by `address` ("/path" or
  // "@abstract") and returns 0 or a negative errno, as sd_notify does.
  static int notify(const char* address, const std::string& message);
  // $WATCHDOG_USEC when it is a positive number and $WATCHDOG_PID, if set, is `pid`.
  static std::optional<std::chrono::microseconds> watchdog_from(const char* usec,
                                                                const char* pid_text, long pid);
};

}  // namespace codeloc::daemon
