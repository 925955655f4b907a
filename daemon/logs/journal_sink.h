// --log-format=journal: each log record as a journald entry (daemon/logs/journal_entry.h) with
// MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=codeloc and, for a line about a location
// (daemon/logs/log_context.h), CODELOC_LOCATION, plus CODELOC_STREAM for a child's output line.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/sinks/base_sink.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config/settings.h"
#include "daemon/common/unique_fd.h"

namespace codeloc::daemon {

inline constexpr std::string_view kJournalSocket = "/run/systemd/journal/socket";

// $CODELOC_JOURNAL_SOCKET when set and not empty (tests bind their own), else kJournalSocket.
std::string journal_socket_path(const config::Environment& environment);

// True when fd 2 is the journal: systemd sets $JOURNAL_STREAM to "DEVICE:INODE" of the stream it
// connects a unit's stderr (or stdout) to.
bool stderr_is_journal(const config::Environment& environment);
// The comparison, for a $JOURNAL_STREAM value and a file's st_dev and st_ino.
bool journal_stream_matches(std::string_view value, std::uint64_t device, std::uint64_t inode);

// Sends each record as one datagram to `socket_path` without waiting. A record the journal does
// not take (no journald, a full queue, an entry too large) is written to `fallback_fd` as
// "<PRIORITY>message\n", which a unit's stderr also turns into a journal entry, fields aside.
// REQUIRES: fallback_fd stays open while the sink lives (the sink does not own it).
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(std::string_view socket_path, int fallback_fd = 2);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  bool send(const std::string& datagram);
  void write_fallback(int priority, std::string_view message);

  UniqueFd socket_;
  sockaddr_un address_{};
  bool address_ok_ = false;
  int fallback_fd_;
};

}  // namespace codeloc::daemon
