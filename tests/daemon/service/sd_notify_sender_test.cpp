// SdNotifySender speaks systemd's notification protocol itself; libsystemd, linked into the tests
// only, is the oracle: the same message reaches the same socket as sd_notify(3) sends it, and the
// watchdog settings are read as sd_watchdog_enabled(3) reads them.
#include "daemon/service/sd_notify_sender.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

namespace codeloc::daemon {
namespace {

// A datagram socket bound at `address` ("/path" or "@abstract"), read without blocking forever.
class Listener {
 public:
  explicit Listener(const std::string& address) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un at{};
    at.sun_family = AF_UNIX;
    std::memcpy(at.sun_path, address.data(), address.size());
    if (address[0] == '@') at.sun_path[0] = '\0';
    auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() +
                                       (address[0] == '@' ? 0 : 1));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&at), size) != 0)
      ADD_FAILURE() << std::strerror(errno);
    timeval deadline{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
  }
  ~Listener() { ::close(fd_); }

  std::string receive() {
    char buffer[4096];
    ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    return got < 0 ? std::string("<recv failed: ") + std::strerror(errno) + ">"
                   : std::string(buffer, got);
  }

 private:
  int fd_ = -1;
};

std::string temp_socket_path() {
  return (std::filesystem::temp_directory_path() /
          ("codeloc-notify-test-" + std::to_string(::getpid()) + ".sock"))
      .string();
}

void expect_same_datagram_as_libsystemd(const std::string& address) {
  Listener listener(address);
  const std::string message = "READY=1\nSTATUS=2 of 2 locations loaded\nWATCHDOG=1";
  ASSERT_EQ(SdNotifySender::notify(address.c_str(), message), 0);
  std::string ours = listener.receive();
  ::setenv("NOTIFY_SOCKET", address.c_str(), 1);
  ASSERT_GT(::sd_notify(0, message.c_str()), 0);
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(ours, listener.receive());
  EXPECT_EQ(ours, message);
}

TEST(SdNotifySender, SendsWhatSdNotifySendsToASocketPath) {
  std::string path = temp_socket_path();
  std::filesystem::remove(path);
  expect_same_datagram_as_libsystemd(path);
  std::filesystem::remove(path);
}

TEST(SdNotifySender, SendsWhatSdNotifySendsToAnAbstractSocket) {
  expect_same_datagram_as_libsystemd("@codeloc-notify-test-" + std::to_string(::getpid()));
}

TEST(SdNotifySender, ReportsAnAbsentManagerAndAddressesItDoesNotSpeak) {
  EXPECT_EQ(SdNotifySender::notify(nullptr, "READY=1"), 0);
  EXPECT_EQ(SdNotifySender::notify("", "READY=1"), 0);
  EXPECT_EQ(SdNotifySender::notify("/nonexistent-dir/notify.sock", "READY=1"), -ENOENT);
  EXPECT_EQ(SdNotifySender::notify("vsock:2:1234", "READY=1"), -EAFNOSUPPORT);
  EXPECT_EQ(SdNotifySender::notify(("/" + std::string(200, 'x')).c_str(), "READY=1"),
            -ENAMETOOLONG);
}

TEST(SdNotifySender, ReadsTheWatchdogAsSdWatchdogEnabledDoes) {
  const std::string own = std::to_string(::getpid());
  struct Case {
    const char* usec;
    const char* pid;  // nullptr: unset
  };
  const std::string other = std::to_string(::getpid() + 1);
  const Case cases[] = {{"30000000", nullptr},
                        {"30000000", own.c_str()},
                        {"30000000", other.c_str()},
                        {"0", nullptr},
                        {"", nullptr},
                        {"abc", nullptr},
                        {"12x", nullptr},
                        {"-5", nullptr},
                        {"30000000", "abc"},
                        {nullptr, nullptr}};
  int enabled_cases = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string("WATCHDOG_USEC=") + (c.usec ? c.usec : "<unset>") +
                 " WATCHDOG_PID=" + (c.pid ? c.pid : "<unset>"));
    c.usec ? ::setenv("WATCHDOG_USEC", c.usec, 1) : ::unsetenv("WATCHDOG_USEC");
    c.pid ? ::setenv("WATCHDOG_PID", c.pid, 1) : ::unsetenv("WATCHDOG_PID");
    std::uint64_t usec = 0;
    int enabled = ::sd_watchdog_enabled(0, &usec);
    std::optional<std::chrono::microseconds> ours = SdNotifySender().watchdog_interval();
    if (enabled > 0) {
      ++enabled_cases;
      ASSERT_TRUE(ours.has_value());
      EXPECT_EQ(ours->count(), static_cast<long long>(usec));
    } else {
      EXPECT_FALSE(ours.has_value());
    }
  }
  EXPECT_EQ(enabled_cases, 2);  // no PID, or our own
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

}  // namespace
}  // namespace codeloc::daemon
