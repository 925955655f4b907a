#include "ipc/client.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/rpc_error.h"

namespace codeloc::ipc {
namespace {

constexpr std::size_t kReadChunkBytes = 64u << 10;

std::string errno_text(int error) {
  return std::strerror(error);
}

ClientError connect_error(int error, const std::string& path) {
  using Kind = ClientError::Kind;
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return ClientError(Kind::kNoSocket, "no daemon socket at " + path);
    case ECONNREFUSED:
      return ClientError(Kind::kConnectionRefused, "no daemon is listening on " + path);
    case EACCES:
    case EPERM:
      return ClientError(Kind::kPermissionDenied, "permission denied connecting to " + path);
    default:
      return ClientError(Kind::kConnectFailed,
                         "cannot connect to " + path + ": " + errno_text(error));
  }
}

}  // namespace

Client Client::connect(const std::string& socket_path, const Options& options) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(address.sun_path)) {
    throw ClientError(ClientError::Kind::kConnectFailed,
                      "socket path must be 1 to " + std::to_string(sizeof(address.sun_path) - 1) +
                          " bytes long: " + socket_path);
  }
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw connect_error(errno, socket_path);
  Client client(fd, options);
  int result;
  do {
    result = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  } while (result < 0 && errno == EINTR);
  if (result < 0) throw connect_error(errno, socket_path);
  return client;
}

Client::Client(int fd, const Options& options) : fd_(fd), decoder_(options.max_frame_bytes) {}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      decoder_(std::move(other.decoder_)),
      next_id_(other.next_id_),
      notifications_(std::move(other.notifications_)) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    close_fd();
    fd_ = std::exchange(other.fd_, -1);
    decoder_ = std::move(other.decoder_);
    next_id_ = other.next_id_;
    notifications_ = std::move(other.notifications_);
  }
  return *this;
}

Client::~Client() {
  close_fd();
}

void Client::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

nlohmann::json Client::call(std::string_view method, const nlohmann::json& params,
                            Timeout timeout) {
  return nlohmann::json::parse(call_for_raw(method, params, timeout));
}

std::string Client::call_raw(std::string_view method, const nlohmann::json& params,
                             Timeout timeout) {
  return call_for_raw(method, params, timeout);
}

std::string Client::call_for_raw(std::string_view method, const nlohmann::json& params,
                                 Timeout timeout) {
  const std::int64_t id = next_id_++;
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  write_line(make_request(id, method, params));
  for (;;) {
    const std::optional<std::string> frame = read_frame(deadline);
    if (!frame) {
      throw ClientError(ClientError::Kind::kTimeout,
                        "no answer to '" + std::string(method) + "' in time");
    }
    Message message = parse_message(*frame);
    if (message.kind == MessageKind::kNotification) {
      notifications_.push_back({std::move(message.method), std::move(message.params)});
      continue;
    }
    if (message.kind != MessageKind::kResponse) continue;  // the daemon sends no requests
    // An error without an id is about a request the daemon could not read: ours.
    const bool ours = (message.id.is_number_integer() && message.id.get<std::int64_t>() == id) ||
                      (message.id.is_null() && message.error);
    if (!ours) continue;
    if (message.error) throw *message.error;
    return std::string(message.raw_result);
  }
}

void Client::notify(std::string_view method, const nlohmann::json& params) {
  write_line(make_notification(method, params));
}

std::optional<Notification> Client::next_notification(Timeout timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  while (notifications_.empty()) {
    const std::optional<std::string> frame = read_frame(deadline);
    if (!frame) return std::nullopt;
    Message message = parse_message(*frame);
    if (message.kind == MessageKind::kNotification) {
      notifications_.push_back({std::move(message.method), std::move(message.params)});
    }
  }
  Notification next = std::move(notifications_.front());
  notifications_.pop_front();
  return next;
}

void Client::write_line(std::string line) {
  line += '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) {
        throw ClientError(ClientError::Kind::kClosed, "the daemon closed the connection");
      }
      throw ClientError(ClientError::Kind::kIo, "cannot write to the daemon: " + errno_text(errno));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<std::string> Client::read_frame(std::optional<Clock::time_point> deadline) {
  std::string chunk(kReadChunkBytes, '\0');
  for (;;) {
    const FrameDecoder::Result result = decoder_.next();
    if (result.status == FrameDecoder::Status::kFrame) return std::string(result.frame);
    if (result.status == FrameDecoder::Status::kTooLarge) {
      throw ClientError(ClientError::Kind::kTooLarge,
                        "a message from the daemon is over " +
                            std::to_string(decoder_.max_frame_bytes()) + " bytes");
    }
    int wait_ms = -1;
    if (deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      wait_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw ClientError(ClientError::Kind::kIo, "cannot wait for the daemon: " + errno_text(errno));
    }
    if (ready == 0) return std::nullopt;
    const ssize_t n = ::read(fd_, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET) {
        throw ClientError(ClientError::Kind::kClosed, "the daemon closed the connection");
      }
      throw ClientError(ClientError::Kind::kIo,
                        "cannot read from the daemon: " + errno_text(errno));
    }
    if (n == 0) throw ClientError(ClientError::Kind::kClosed, "the daemon closed the connection");
    decoder_.feed(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
  }
}

}  // namespace codeloc::ipc
