#include "daemon/logs/output_pump.h"

#include <memory>

namespace codeloc::daemon {
namespace {

// The bytes of one read, shared by every pump on this thread: a pump waits for its pipe to be
// readable, reads into this and splits it into lines (the splitter copies what it keeps) before
// returning. So an idle pump holds no read buffer: each used to carry 64 KiB of its own, two per
// location (issue 17).
constexpr std::size_t kPumpReadBytes = 64 * 1024;

char* pump_read_scratch() {
  thread_local std::unique_ptr<char[]> scratch;
  if (!scratch) scratch.reset(new char[kPumpReadBytes]);
  return scratch.get();
}

}  // namespace

std::shared_ptr<OutputPump> OutputPump::start(boost::asio::io_context& io, UniqueFd fd,
                                              std::size_t max_line_bytes, LineHandler on_line) {
  std::shared_ptr<OutputPump> pump(
      new OutputPump(io, std::move(fd), max_line_bytes, std::move(on_line)));
  pump->read();
  return pump;
}

OutputPump::OutputPump(boost::asio::io_context& io, UniqueFd fd, std::size_t max_line_bytes,
                       LineHandler on_line)
    : pipe_(io, fd.release()), splitter_(max_line_bytes, std::move(on_line)) {
  // A spurious wake-up must not block the loop in read_some. Cannot fail on an open pipe; on a
  // closed one the wait reports the error.
  boost::system::error_code ignored;
  pipe_.non_blocking(true, ignored);
}

void OutputPump::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

void OutputPump::read() {
  pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [self = shared_from_this()](const boost::system::error_code& error) {
                     self->on_readable(error);
                   });
}

void OutputPump::on_readable(const boost::system::error_code& wait_error) {
  if (closed_) return;
  boost::system::error_code error = wait_error;
  std::size_t bytes = 0;
  char* scratch = pump_read_scratch();
  if (!error) {
    bytes = pipe_.read_some(boost::asio::buffer(scratch, kPumpReadBytes), error);
    if (error == boost::asio::error::would_block || error == boost::asio::error::try_again ||
        error == boost::asio::error::interrupted) {
      read();
      return;
    }
  }
  if (bytes > 0) splitter_.feed(std::string_view(scratch, bytes));
  if (error) {
    splitter_.finish();
    close();
    return;
  }
  read();
}

}  // namespace codeloc::daemon
