// One small HTTP/1.0 exchange over TCP on the event loop: whether Dagster's webserver answers
// (GET /server_info), and asking it to reload its workspace (a GraphQL POST). Not a general
// client: one request, the whole answer read until the server closes, bounded in size and time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>

namespace codeloc::daemon {

struct HttpAnswer {
  bool ok = false;    // a complete answer arrived
  int status = 0;     // its status code (200, ...)
  std::string body;   // after the header
  std::string error;  // when !ok: what failed
};

// Sends `method path` with `body` (JSON, when not empty) to host:port and calls `done` once from
// the loop with the answer. host is an IPv4 or IPv6 address, or a name (resolved); a listener's
// wildcard address ("0.0.0.0", "::") is reached on loopback. Answers above 1 MiB are an error.
void http_request(boost::asio::io_context& io, const std::string& host, std::uint16_t port,
                  const std::string& method, const std::string& path, const std::string& body,
                  std::chrono::milliseconds timeout, std::function<void(HttpAnswer)> done);

// The status code and body of a raw HTTP answer; ok is false when it has no status line.
HttpAnswer parse_http_answer(const std::string& raw);

}  // namespace codeloc::daemon
