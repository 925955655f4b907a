#include "daemon/logs/journal_sink.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "daemon/common/parse_number.h"
#include "daemon/logs/journal_entry.h"
#include "daemon/logs/log_context.h"

namespace codeloc::daemon {

std::string journal_socket_path(const config::Environment& environment) {
  auto it = environment.find("CODELOC_JOURNAL_SOCKET");
  if (it != environment.end() && !it->second.empty()) return it->second;
  return std::string(kJournalSocket);
}

bool journal_stream_matches(std::string_view value, std::uint64_t device, std::uint64_t inode) {
  std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  return parse_number<std::uint64_t>(value.substr(0, colon)) == device &&
         parse_number<std::uint64_t>(value.substr(colon + 1)) == inode;
}

bool stderr_is_journal(const config::Environment& environment) {
  auto it = environment.find("JOURNAL_STREAM");
  if (it == environment.end()) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return journal_stream_matches(it->second, st.st_dev, st.st_ino);
}

JournalSink::JournalSink(std::string_view socket_path, int fallback_fd)
    : socket_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)), fallback_fd_(fallback_fd) {
  address_.sun_family = AF_UNIX;
  if (socket_path.size() < sizeof address_.sun_path) {
    std::memcpy(address_.sun_path, socket_path.data(), socket_path.size());
    address_ok_ = true;
  }
}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  std::string_view message(msg.payload.data(), msg.payload.size());
  int priority = journal_priority(msg.level);
  std::string priority_text = std::to_string(priority);
  JournalField fields[5] = {
      {"MESSAGE", message},
      {"PRIORITY", priority_text},
      {"SYSLOG_IDENTIFIER", "codeloc"},
  };
  std::size_t count = 3;
  if (const LogContext* context = current_log_context()) {
    if (!context->location.empty()) fields[count++] = {"CODELOC_LOCATION", context->location};
    if (!context->stream.empty()) fields[count++] = {"CODELOC_STREAM", context->stream};
  }
  if (!send(encode_journal_entry(std::span(fields, count)))) write_fallback(priority, message);
}

bool JournalSink::send(const std::string& datagram) {
  if (!socket_ || !address_ok_) return false;
  // MSG_DONTWAIT: the event loop never waits for journald; a full queue means the fallback.
  ssize_t sent;
  do {
    sent = ::sendto(socket_.get(), datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&address_), sizeof address_);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(datagram.size());
}

void JournalSink::write_fallback(int priority, std::string_view message) {
  std::string line = "<" + std::to_string(priority) + ">";
  line.append(message);
  line += '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t written = ::write(fallback_fd_, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace codeloc::daemon
