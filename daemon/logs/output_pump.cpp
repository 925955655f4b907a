#include "daemon/logs/output_pump.h"

namespace codeloc::daemon {

std::shared_ptr<OutputPump> OutputPump::start(boost::asio::io_context& io, UniqueFd fd,
                                              std::size_t max_line_bytes, LineHandler on_line) {
  std::shared_ptr<OutputPump> pump(
      new OutputPump(io, std::move(fd), max_line_bytes, std::move(on_line)));
  pump->read();
  return pump;
}

OutputPump::OutputPump(boost::asio::io_context& io, UniqueFd fd, std::size_t max_line_bytes,
                       LineHandler on_line)
    : pipe_(io, fd.release()), splitter_(max_line_bytes, std::move(on_line)) {}

void OutputPump::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

void OutputPump::read() {
  pipe_.async_read_some(
      boost::asio::buffer(buffer_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t bytes) {
        if (self->closed_) return;
        if (bytes > 0) self->splitter_.feed(std::string_view(self->buffer_.data(), bytes));
        if (error) {
          self->splitter_.finish();
          self->close();
          return;
        }
        self->read();
      });
}

}  // namespace codeloc::daemon
