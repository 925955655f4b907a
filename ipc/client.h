// A blocking JSON-RPC client for the control socket, for the CLI and tests: one connection, one
// call at a time, and the notifications a subscription brings. Plain POSIX sockets, no loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ipc/frame_decoder.h"
#include "ipc/json_rpc.h"
#include "ipc/protocol.h"

namespace codeloc::ipc {

// Why talking to the daemon failed (as opposed to the daemon answering with an error, which is
// an RpcError). Kept beside Client: it is only ever thrown by it.
class ClientError : public std::runtime_error {
 public:
  enum class Kind {
    kNoSocket,           // nothing at the socket path (ENOENT, ENOTDIR): the daemon is not running
    kConnectionRefused,  // a socket file nobody listens on: the daemon is not running (stale)
    kPermissionDenied,   // EACCES/EPERM on connect
    kConnectFailed,      // any other connect failure (path too long, ...)
    kClosed,             // the daemon closed the connection
    kTimeout,            // no answer within the given timeout
    kTooLarge,           // an incoming message over the client's limit
    kIo,                 // a read or write failed
  };

  ClientError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }
  bool daemon_not_running() const {
    return kind_ == Kind::kNoSocket || kind_ == Kind::kConnectionRefused;
  }

 private:
  Kind kind_;
};

struct Notification {
  std::string method;
  nlohmann::json params;
};

// Owns its socket; movable, not copyable. Not for use from several threads at once.
class Client {
 public:
  using Timeout = std::optional<std::chrono::milliseconds>;  // nullopt: wait as long as it takes

  struct Options {
    // Incoming messages can be snapshots: as large as a code server may send.
    std::size_t max_frame_bytes = kDefaultMaxCodeServerMessageBytes;
  };

  // Throws ClientError (kNoSocket, kConnectionRefused, kPermissionDenied, kConnectFailed).
  static Client connect(const std::string& socket_path, const Options& options);
  static Client connect(const std::string& socket_path) { return connect(socket_path, Options()); }

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  ~Client();

  // Sends a request and waits for its answer; notifications that arrive meanwhile are kept for
  // next_notification(). Returns the result; throws RpcError when the daemon answers with an
  // error, ClientError when the connection fails or the timeout passes.
  nlohmann::json call(std::string_view method, const nlohmann::json& params = nullptr,
                      Timeout timeout = std::nullopt);
  // As call(), but returns the result's JSON text exactly as received (a snapshot for --json).
  std::string call_raw(std::string_view method, const nlohmann::json& params = nullptr,
                       Timeout timeout = std::nullopt);
  // Sends a notification (no answer comes).
  void notify(std::string_view method, const nlohmann::json& params = nullptr);

  // The next notification: a kept one, else waits for one. nullopt when the timeout passes.
  // Throws ClientError kClosed when the daemon hangs up.
  std::optional<Notification> next_notification(Timeout timeout = std::nullopt);

  // The socket, e.g. to poll() it together with a terminal.
  int fd() const { return fd_; }

 private:
  using Clock = std::chrono::steady_clock;

  Client(int fd, const Options& options);

  std::string call_for_raw(std::string_view method, const nlohmann::json& params, Timeout timeout);
  void write_line(std::string line);
  // The next frame, or nullopt when `deadline` passes (nullopt deadline: none).
  std::optional<std::string> read_frame(std::optional<Clock::time_point> deadline);
  void close_fd();

  int fd_ = -1;
  FrameDecoder decoder_;
  std::int64_t next_id_ = 1;
  std::deque<Notification> notifications_;
};

}  // namespace codeloc::ipc
