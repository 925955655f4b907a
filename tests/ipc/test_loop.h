// Helpers for ipc tests: run an io_context until a condition holds (never sleep), and connected
// socket pairs.
#pragma once

#include <chrono>
#include <functional>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>

namespace codeloc::ipc::testing {

using Socket = boost::asio::local::stream_protocol::socket;

// Runs `io` until `done()` holds or a generous deadline passes; returns done().
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
  return true;
}

inline std::pair<Socket, Socket> socket_pair(boost::asio::io_context& io) {
  Socket a(io), b(io);
  boost::asio::local::connect_pair(a, b);
  return {std::move(a), std::move(b)};
}

}  // namespace codeloc::ipc::testing
