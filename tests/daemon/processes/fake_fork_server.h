// The fork server's end of its socket, scripted by a test: it sends the ready packet and answers,
// and reads the daemon's requests with their three descriptors. Blocking calls, with deadlines.
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/common/unique_fd.h"

namespace codeloc::daemon::testing {

// A connected SOCK_SEQPACKET pair: first the daemon's end, second the fork server's.
inline std::pair<UniqueFd, UniqueFd> seqpacket_pair() {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return {};
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

struct ReceivedRequest {
  nlohmann::json packet;
  std::array<UniqueFd, 3> fds;  // the channel, stdout, stderr
};

class FakeForkServer {
 public:
  explicit FakeForkServer(UniqueFd socket) : socket_(std::move(socket)) {}

  bool send(const std::string& packet) {
    return ::send(socket_.get(), packet.data(), packet.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(packet.size());
  }
  bool send(const nlohmann::json& packet) { return send(packet.dump()); }
  bool send_ready() {
    return send(nlohmann::json{{"ready", true},
                               {"pid", ::getpid()},
                               {"preloaded", nlohmann::json::array()},
                               {"threads", 1},
                               {"site_packages", nlohmann::json::array()}});
  }

  // True when a packet is waiting (after up to `wait`).
  bool readable(std::chrono::milliseconds wait = std::chrono::milliseconds(0)) {
    pollfd entry{socket_.get(), POLLIN, 0};
    return ::poll(&entry, 1, static_cast<int>(wait.count())) > 0;
  }

  // The next request, within a generous deadline; nullopt when none came.
  std::optional<ReceivedRequest> receive(
      std::chrono::milliseconds wait = std::chrono::milliseconds(10'000)) {
    if (!readable(wait)) return std::nullopt;
    std::string data(1 << 20, '\0');
    iovec io{data.data(), data.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 3)] = {};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(socket_.get(), &message, MSG_CMSG_CLOEXEC);
    if (n <= 0) return std::nullopt;
    ReceivedRequest request;
    request.packet = nlohmann::json::parse(data.begin(), data.begin() + n, nullptr, false);
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header;
         header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
      std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int fds[3] = {-1, -1, -1};
      std::memcpy(fds, CMSG_DATA(header), sizeof(int) * std::min<std::size_t>(count, 3));
      for (std::size_t i = 0; i < 3; ++i)
        request.fds[i] = UniqueFd(fds[i]);
    }
    return request;
  }

  // Answers a request with a pid, as the fork server does once it has forked.
  bool answer(const ReceivedRequest& request, pid_t pid) {
    return send(nlohmann::json{{"id", request.packet["id"]}, {"pid", pid}});
  }

  void close() { socket_.reset(); }
  int fd() const { return socket_.get(); }

 private:
  UniqueFd socket_;
};

}  // namespace codeloc::daemon::testing
