#include "daemon/ui/http_probe.h"

#include <array>
#include <cstdlib>
#include <memory>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace codeloc::daemon {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxAnswer = 1 << 20;

// One request in flight. Owned by the pending handlers (shared_ptr); `done` runs once.
struct Exchange : std::enable_shared_from_this<Exchange> {
  Exchange(asio::io_context& io, std::function<void(HttpAnswer)> done)
      : resolver(io), socket(io), timer(io), done(std::move(done)) {}

  void finish(HttpAnswer answer) {
    if (!done) return;
    timer.cancel();
    resolver.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
    auto callback = std::exchange(done, nullptr);
    callback(std::move(answer));
  }
  void fail(const std::string& what, const boost::system::error_code& ec) {
    HttpAnswer answer;
    answer.error = what + ": " + ec.message();
    finish(std::move(answer));
  }

  void connect(const tcp::resolver::results_type& endpoints) {
    asio::async_connect(
        socket, endpoints,
        [self = shared_from_this()](const boost::system::error_code& ec, const tcp::endpoint&) {
          if (ec) return self->fail("connect", ec);
          self->write();
        });
  }
  void connect(const tcp::endpoint& endpoint) {
    socket.async_connect(endpoint,
                         [self = shared_from_this()](const boost::system::error_code& ec) {
                           if (ec) return self->fail("connect", ec);
                           self->write();
                         });
  }
  void write() {
    asio::async_write(
        socket, asio::buffer(request),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec) return self->fail("write", ec);
          self->read();
        });
  }
  void read() {
    socket.async_read_some(
        asio::buffer(chunk),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->raw.append(self->chunk.data(), n);
          if (self->raw.size() > kMaxAnswer) {
            HttpAnswer answer;
            answer.error = "the answer is larger than 1 MiB";
            return self->finish(std::move(answer));
          }
          if (ec == asio::error::eof) {
            HttpAnswer answer = parse_http_answer(self->raw);
            if (!answer.ok) answer.error = "not an HTTP answer";
            return self->finish(std::move(answer));
          }
          if (ec) return self->fail("read", ec);
          self->read();
        });
  }

  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer timer;
  std::function<void(HttpAnswer)> done;
  std::string request;
  std::string raw;
  std::array<char, 16 * 1024> chunk{};
};

}  // namespace

HttpAnswer parse_http_answer(const std::string& raw) {
  HttpAnswer answer;
  // "HTTP/1.x NNN reason\r\n"
  if (raw.rfind("HTTP/", 0) != 0) return answer;
  std::size_t space = raw.find(' ');
  if (space == std::string::npos || space + 4 > raw.size()) return answer;
  answer.status = std::atoi(raw.substr(space + 1, 3).c_str());
  if (answer.status < 100 || answer.status > 599) return answer;
  std::size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return answer;
  answer.ok = true;
  answer.body = raw.substr(end + 4);
  return answer;
}

void http_request(asio::io_context& io, const std::string& host, std::uint16_t port,
                  const std::string& method, const std::string& path, const std::string& body,
                  std::chrono::milliseconds timeout, std::function<void(HttpAnswer)> done) {
  auto exchange = std::make_shared<Exchange>(io, std::move(done));
  std::string host_header = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  exchange->request = method + " " + path + " HTTP/1.0\r\nHost: " + host_header + ":" +
                      std::to_string(port) + "\r\nConnection: close\r\n";
  if (!body.empty()) {
    exchange->request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  exchange->request += "\r\n" + body;
  exchange->timer.expires_after(timeout);
  exchange->timer.async_wait(
      [weak = std::weak_ptr<Exchange>(exchange)](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        HttpAnswer answer;
        answer.error = "no answer in time";
        self->finish(std::move(answer));
      });

  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    if (address.is_unspecified()) {
      address = address.is_v4() ? asio::ip::address(asio::ip::address_v4::loopback())
                                : asio::ip::address(asio::ip::address_v6::loopback());
    }
    exchange->connect(tcp::endpoint(address, port));
    return;
  }
  exchange->resolver.async_resolve(
      host, std::to_string(port),
      [exchange](const boost::system::error_code& error, tcp::resolver::results_type results) {
        if (error) return exchange->fail("resolve", error);
        exchange->connect(results);
      });
}

}  // namespace codeloc::daemon
