// Reads one of a child's output pipes on the event loop, line by line (LineSplitter), until end
// of file. Reads are bounded per callback so a flooding child cannot starve the loop. An idle pump
// holds no read buffer: it waits for readiness and reads into one shared by the thread.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "daemon/common/unique_fd.h"
#include "daemon/logs/line_splitter.h"

namespace codeloc::daemon {

// Ownership: held by shared_ptr; a pending read keeps it alive until end of file or close().
class OutputPump : public std::enable_shared_from_this<OutputPump> {
 public:
  using LineHandler = LineSplitter::LineHandler;

  static std::shared_ptr<OutputPump> start(boost::asio::io_context& io, UniqueFd fd,
                                           std::size_t max_line_bytes, LineHandler on_line);
  // Stops reading; no handler runs afterwards.
  void close();

 private:
  OutputPump(boost::asio::io_context& io, UniqueFd fd, std::size_t max_line_bytes,
             LineHandler on_line);
  // Waits for the pipe to be readable; on_readable reads one chunk (at most 64 KiB) into a buffer
  // shared by the thread's pumps.
  void read();
  void on_readable(const boost::system::error_code& error);

  boost::asio::posix::stream_descriptor pipe_;
  LineSplitter splitter_;
  bool closed_ = false;
};

}  // namespace codeloc::daemon
