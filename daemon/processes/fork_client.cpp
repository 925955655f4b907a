#include "daemon/processes/fork_client.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include <boost/asio/post.hpp>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace codeloc::daemon {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The ready packet and the answers are small; the fork server's requests may be larger (a
// location's environment), but the daemon only sends those.
constexpr std::size_t kMaxPacket = 64 * 1024;

ForkAnswer failed(std::uint64_t id, std::string why) {
  ForkAnswer answer;
  answer.kind = ForkAnswer::Kind::kFailed;
  answer.id = id;
  answer.error = std::move(why);
  return answer;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// sendmsg of one packet with three descriptors, without blocking; false with errno on failure.
bool send_with_fds(int socket, const std::string& data, const std::array<int, 3>& fds) {
  iovec io{const_cast<char*>(data.data()), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 3)] = {};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int) * 3);
  std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * 3);
  ssize_t sent;
  do {
    sent = ::sendmsg(socket, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(data.size());
}

// Waits for `events` on `fd` until `deadline`; false on timeout (errno ETIMEDOUT) or error.
bool wait_for(int fd, short events, steady_clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) {
      errno = ETIMEDOUT;
      return false;
    }
    pollfd entry{fd, events, 0};
    int n = ::poll(&entry, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// The stdout and stderr pipes of one request; empty, or what failed.
template <typename Pending>
std::string make_pipes(Pending& pending) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return errno_text("pipe");
  pending.out_read = UniqueFd(out[0]);
  pending.out_write = UniqueFd(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return errno_text("pipe");
  pending.err_read = UniqueFd(err[0]);
  pending.err_write = UniqueFd(err[1]);
  return {};
}

// A decoded answer with the id asked for, from a JSON object. An error answer has "error"; any
// other answer without a positive pid is garbage.
ForkAnswer decode(const json& reply) {
  ForkAnswer answer;
  if (auto id = reply.find("id"); id != reply.end() && id->is_number_unsigned())
    answer.id = id->get<std::uint64_t>();
  if (auto error = reply.find("error"); error != reply.end()) {
    answer.kind = ForkAnswer::Kind::kFailed;
    answer.error = error->is_string() ? error->get<std::string>() : error->dump();
    auto unsafe = reply.find("unsafe");
    answer.unsafe = unsafe != reply.end() && unsafe->is_boolean() && unsafe->get<bool>();
    return answer;
  }
  auto pid = reply.find("pid");
  if (pid == reply.end() || !pid->is_number_integer() || pid->get<std::int64_t>() <= 0 ||
      pid->get<std::int64_t>() > std::numeric_limits<pid_t>::max()) {
    answer.kind = ForkAnswer::Kind::kFailed;
    answer.error = "an answer without a pid";
    return answer;
  }
  answer.kind = ForkAnswer::Kind::kForked;
  answer.pid = pid->get<pid_t>();
  return answer;
}

}  // namespace

ForkReady parse_ready_packet(std::string_view packet) {
  json message = json::parse(packet.begin(), packet.end(), nullptr, /*allow_exceptions=*/false);
  auto ready = message.is_object() ? message.find("ready") : message.end();
  if (!message.is_object() || ready == message.end() || !ready->is_boolean() ||
      !ready->get<bool>()) {
    return {json(), "it sent something other than its ready message: " +
                        std::string(packet.substr(0, 200))};
  }
  return {std::move(message), {}};
}

std::string encode_fork_request(std::uint64_t id, const ForkRequest& request, pid_t daemon) {
  json packet = {{"id", id},
                 {"argv", request.argv},
                 {"env", request.env},
                 {"cwd", request.cwd},
                 {"daemon", daemon}};
  return packet.dump(-1, ' ', false, json::error_handler_t::replace);
}

ForkAnswer decode_fork_answer(std::string_view packet) {
  json reply = json::parse(packet.begin(), packet.end(), nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object()) return failed(0, "a malformed answer");
  return decode(reply);
}

ForkClient::ForkClient(boost::asio::io_context& io, UniqueFd socket,
                       std::chrono::milliseconds request_timeout)
    : io_(io), timer_(io), request_timeout_(request_timeout) {
  ::fcntl(socket.get(), F_SETFL, ::fcntl(socket.get(), F_GETFL) | O_NONBLOCK);
  socket_ = std::make_unique<boost::asio::posix::stream_descriptor>(io, socket.release());
}

ForkClient::~ForkClient() = default;

void ForkClient::post(OnAnswer done, ForkAnswer answer) {
  boost::asio::post(io_, [done = std::move(done), answer = std::move(answer)]() mutable {
    done(std::move(answer));
  });
}

void ForkClient::wait_ready(OnReady on_ready) {
  if (!socket_) return;
  socket_->async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [this, alive = std::weak_ptr<int>(alive_),
       on_ready = std::move(on_ready)](const boost::system::error_code& ec) mutable {
        if (ec || alive.expired() || !socket_) return;
        std::string buffer(kMaxPacket, '\0');
        ssize_t n = ::recv(socket_->native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
          wait_ready(std::move(on_ready));
          return;
        }
        ForkReady ready;
        if (n <= 0) {
          ready.error = "it closed its socket before it was ready";
        } else {
          ready = parse_ready_packet(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        }
        boost::asio::post(
            io_, [on_ready = std::move(on_ready), ready = std::move(ready)] { on_ready(ready); });
      });
}

void ForkClient::fork(ForkRequest request, OnAnswer done) {
  Pending pending;
  pending.id = next_id_++;
  pending.request = std::move(request);
  pending.done = std::move(done);
  if (!socket_) {
    ForkAnswer answer;
    answer.kind = ForkAnswer::Kind::kClosed;
    answer.id = pending.id;
    answer.error = "the fork server's socket is closed";
    post(std::move(pending.done), std::move(answer));
    return;
  }
  queue_.push_back(std::move(pending));
  send_next();
}

void ForkClient::send_next() {
  while (!in_flight_ && !broken_ && socket_ && !queue_.empty()) {
    Pending& pending = queue_.front();
    if (std::string error = make_pipes(pending); !error.empty()) {
      OnAnswer done = std::move(pending.done);
      std::uint64_t id = pending.id;
      queue_.pop_front();
      post(std::move(done), failed(id, std::move(error)));
      continue;
    }
    pending.data = encode_fork_request(pending.id, pending.request, ::getpid());
    in_flight_ = true;
    timer_.expires_after(request_timeout_);
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_),
                       id = pending.id](const boost::system::error_code& ec) {
      if (ec || alive.expired() || !in_flight_ || queue_.front().id != id) return;
      broken(queue_.front().sent
                 ? "no answer within " + std::to_string(request_timeout_.count()) + " ms"
                 : "it did not take the request within the timeout");
    });
    try_send();
  }
}

void ForkClient::try_send() {
  Pending& pending = queue_.front();
  if (send_with_fds(
          socket_->native_handle(), pending.data,
          {pending.request.channel_fd, pending.out_write.get(), pending.err_write.get()})) {
    pending.sent = true;
    pending.data.clear();
    pending.out_write.reset();  // the fork server has its own copies now
    pending.err_write.reset();
    wait_answer();
    return;
  }
  if (errno != EAGAIN && errno != EWOULDBLOCK) {
    broken(errno_text("sending the request"));
    return;
  }
  socket_->async_wait(boost::asio::posix::stream_descriptor::wait_write,
                      [this, alive = std::weak_ptr<int>(alive_),
                       id = pending.id](const boost::system::error_code& ec) {
                        if (ec || alive.expired() || !in_flight_ || queue_.front().id != id) return;
                        try_send();
                      });
}

void ForkClient::wait_answer() {
  socket_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [this, alive = std::weak_ptr<int>(alive_),
                       id = queue_.front().id](const boost::system::error_code& ec) {
                        if (ec || alive.expired() || !in_flight_ || queue_.front().id != id) return;
                        read_answers();
                      });
}

void ForkClient::read_answers() {
  std::string buffer(kMaxPacket, '\0');
  while (true) {
    ssize_t n = ::recv(socket_->native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_answer();
      return;
    }
    if (n < 0) return broken(errno_text("reading the answer"));
    if (n == 0) return broken("it closed its socket");
    json reply = json::parse(buffer.begin(), buffer.begin() + n, nullptr, false);
    if (!reply.is_object()) return broken("a malformed answer");
    ForkAnswer answer = decode(reply);
    if (answer.id != queue_.front().id) continue;  // not this request's
    if (answer.kind == ForkAnswer::Kind::kFailed && !reply.contains("error"))
      return broken(std::move(answer.error));
    return answered(std::move(answer));
  }
}

void ForkClient::answered(ForkAnswer answer) {
  timer_.cancel();
  Pending pending = std::move(queue_.front());
  queue_.pop_front();
  in_flight_ = false;
  if (answer.kind == ForkAnswer::Kind::kForked) {
    ::fcntl(pending.out_read.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(pending.err_read.get(), F_SETFL, O_NONBLOCK);
    answer.stdout_fd = std::move(pending.out_read);
    answer.stderr_fd = std::move(pending.err_read);
  }
  post(std::move(pending.done), std::move(answer));
  send_next();
}

void ForkClient::broken(std::string why) {
  broken_ = true;
  timer_.cancel();
  if (socket_) socket_->cancel();
  if (!in_flight_) return;
  Pending pending = std::move(queue_.front());
  queue_.pop_front();
  in_flight_ = false;
  post(std::move(pending.done), failed(pending.id, std::move(why)));
}

void ForkClient::close(const std::string& why) {
  broken_ = true;
  in_flight_ = false;
  timer_.cancel();
  socket_.reset();  // cancels its waits and closes it
  for (Pending& pending : queue_) {
    ForkAnswer answer;
    answer.kind = ForkAnswer::Kind::kClosed;
    answer.id = pending.id;
    answer.error = why;
    answer.sent = pending.sent;
    post(std::move(pending.done), std::move(answer));
  }
  queue_.clear();
}

ForkAnswer ForkClient::fork_now(const ForkRequest& request) {
  Pending pending;
  pending.id = next_id_++;
  if (!socket_ || broken_) return failed(pending.id, "the fork server's socket is not usable");
  if (std::string error = make_pipes(pending); !error.empty()) return failed(pending.id, error);
  int socket = socket_->native_handle();
  auto deadline = steady_clock::now() + request_timeout_;
  auto give_up = [&](std::string why) {
    broken_ = true;
    return failed(pending.id, std::move(why));
  };
  std::string data = encode_fork_request(pending.id, request, ::getpid());
  if (!wait_for(socket, POLLOUT, deadline) ||
      !send_with_fds(socket, data,
                     {request.channel_fd, pending.out_write.get(), pending.err_write.get()})) {
    return give_up(errno == ETIMEDOUT ? "it did not take the request within the timeout"
                                      : errno_text("sending the request"));
  }
  pending.out_write.reset();
  pending.err_write.reset();
  std::string buffer(kMaxPacket, '\0');
  while (true) {
    if (!wait_for(socket, POLLIN, deadline)) {
      return give_up(errno == ETIMEDOUT
                         ? "no answer within " + std::to_string(request_timeout_.count()) + " ms"
                         : errno_text("waiting for the answer"));
    }
    ssize_t n = ::recv(socket, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n < 0) return give_up(errno_text("reading the answer"));
    if (n == 0) return give_up("it closed its socket");
    json reply = json::parse(buffer.begin(), buffer.begin() + n, nullptr, false);
    if (!reply.is_object()) return give_up("a malformed answer");
    ForkAnswer answer = decode(reply);
    if (answer.id != pending.id) continue;  // not this request's
    if (answer.kind == ForkAnswer::Kind::kFailed) {
      return reply.contains("error") ? std::move(answer) : give_up(std::move(answer.error));
    }
    ::fcntl(pending.out_read.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(pending.err_read.get(), F_SETFL, O_NONBLOCK);
    answer.stdout_fd = std::move(pending.out_read);
    answer.stderr_fd = std::move(pending.err_read);
    return answer;
  }
}

}  // namespace codeloc::daemon
