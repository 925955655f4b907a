#include "ipc/line_channel.h"

#include <algorithm>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "ipc/channel_error.h"

namespace codeloc::ipc {
namespace {

// Lines gathered into one write: enough to batch a burst of notifications, few enough that the
// buffer vector stays small.
constexpr std::size_t kMaxLinesPerWrite = 64;

// Once a queue that held this much is empty again, free heap memory goes back to the system.
// Without it glibc keeps the pages of the freed lines and of what built them (held in place by
// other allocations made meanwhile): a few slow subscribers cut off at the queue bound left the
// daemon hundreds of MiB bigger for good (found by bench/soak.py), and one `codeloc status` with
// 200 locations 1 MiB of small JSON allocations (bench/RESULTS.md, "Memory with many
// locations"). malloc_trim's walk of the free chunks costs less than building such an answer.
constexpr std::size_t kReleaseMemoryAfterBytes = 64u << 10;

void release_free_memory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

// The bytes of one read, shared by every channel on this thread: a channel waits for its socket
// to be readable, reads into this, and feeds the decoder (which copies what it keeps) before any
// handler runs. So an idle channel holds no read buffer (a 64 KiB one each kept 64 KiB resident
// per code server connection: most of the daemon's memory with many locations, issue 17).
char* channel_read_scratch(std::size_t bytes) {
  thread_local std::unique_ptr<char[]> scratch;
  thread_local std::size_t scratch_bytes = 0;
  if (scratch_bytes < bytes) {
    scratch.reset(new char[bytes]);
    scratch_bytes = bytes;
  }
  return scratch.get();
}

}  // namespace

std::shared_ptr<LineChannel> LineChannel::create(Socket socket, const Options& options) {
  return std::shared_ptr<LineChannel>(new LineChannel(std::move(socket), options));
}

std::shared_ptr<LineChannel> LineChannel::from_fd(const boost::asio::any_io_executor& executor,
                                                  int fd, const Options& options,
                                                  boost::system::error_code& error) {
  Socket socket(executor);
  socket.assign(boost::asio::local::stream_protocol(), fd, error);
  if (error) {
    ::close(fd);
    return nullptr;
  }
  return create(std::move(socket), options);
}

LineChannel::LineChannel(Socket socket, const Options& options)
    : socket_(std::move(socket)), options_(options), decoder_(options.max_frame_bytes) {
  // A spurious wake-up must not block the loop in read_some (on_readable). Cannot fail on an
  // open socket; on a closed one the wait reports the error.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

LineChannel::~LineChannel() = default;

void LineChannel::start(Handlers handlers) {
  if (started_) return;
  started_ = true;
  handlers_ = std::move(handlers);
  if (state_ == State::kOpen) read_some();
}

void LineChannel::set_owned_frame_handler(std::function<void(FramePieces frame)> on_owned_frame) {
  on_owned_frame_ = std::move(on_owned_frame);
  decoder_.keep_in_pieces(options_.owned_frame_min_bytes);
}

void LineChannel::pause_reading() {
  paused_ = true;
}

void LineChannel::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  if (!started_ || reading_ || state_ != State::kOpen) return;
  // What the decoder holds first, then the socket again: from the loop, never inside the caller.
  reading_ = true;
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->reading_ = false;
    if (self->state_ == State::kOpen && !self->paused_) self->on_read({}, {});
  });
}

void LineChannel::read_some() {
  reading_ = true;
  // Tried at once (queued behind the loop's other work, so a flooding peer cannot starve it),
  // as Asio's speculative read did; the socket is waited for only when it has nothing.
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->on_readable(boost::system::error_code());
  });
}

void LineChannel::wait_readable() {
  reading_ = true;
  socket_.async_wait(Socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& error) {
                       self->on_readable(error);
                     });
}

void LineChannel::on_readable(const boost::system::error_code& error) {
  reading_ = false;
  if (state_ != State::kOpen) return;
  if (error) {
    fail(error);
    return;
  }
  const std::size_t chunk = std::max<std::size_t>(options_.read_chunk_bytes, 1);
  char* scratch = channel_read_scratch(chunk);
  boost::system::error_code read_error;
  const std::size_t bytes = socket_.read_some(boost::asio::buffer(scratch, chunk), read_error);
  if (read_error == boost::asio::error::would_block ||
      read_error == boost::asio::error::try_again ||
      read_error == boost::asio::error::interrupted) {
    wait_readable();
    return;
  }
  on_read(read_error, std::string_view(scratch, bytes));
}

void LineChannel::on_read(const boost::system::error_code& error, std::string_view bytes) {
  if (error) {
    fail(error);
    return;
  }
  if (!bytes.empty()) decoder_.feed(bytes);
  ++callback_depth_;
  while (state_ == State::kOpen && !paused_) {
    const FrameDecoder::Result result = decoder_.next();
    if (result.status == FrameDecoder::Status::kNeedMore) break;
    if (result.status == FrameDecoder::Status::kFrame) {
      if (result.in_pieces || (on_owned_frame_ && result.size >= options_.owned_frame_min_bytes)) {
        FramePieces frame = decoder_.take_frame();
        if (on_owned_frame_) {
          on_owned_frame_(std::move(frame));
        } else if (handlers_.on_frame) {  // the owned-frame handler was released meanwhile
          const std::string joined = std::move(frame).join();
          handlers_.on_frame(joined);
        }
      } else if (handlers_.on_frame) {
        handlers_.on_frame(result.frame);
      }
    } else if (handlers_.on_too_large) {
      handlers_.on_too_large();
    }
  }
  --callback_depth_;
  if (release_pending_) release_handlers();
  if (state_ == State::kOpen && !paused_) read_some();
}

bool LineChannel::send(OutgoingLine line) {
  if (state_ != State::kOpen) return false;
  const std::size_t bytes = line.size() + 1;  // with its '\n'
  if (!queue_.empty() && queued_bytes_ + bytes > options_.max_queued_bytes) {
    // Not reported from here: the caller may be iterating over its connections.
    state_ = State::kClosed;
    shut_socket();
    overflow_report_pending_ = true;
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (!self->overflow_report_pending_) return;  // close() came first
      self->overflow_report_pending_ = false;
      self->report_closed(ChannelErrc::kOutputQueueFull);
    });
    return false;
  }
  queued_bytes_ += bytes;
  queue_peak_bytes_ = std::max(queue_peak_bytes_, queued_bytes_);
  queue_.push_back(std::move(line));
  if (!writing_) write_some();
  return true;
}

void LineChannel::write_some() {
  writing_ = true;
  write_buffers_.clear();
  // The '\n' is a buffer of its own: appending it to a line that is exactly full would copy it.
  static constexpr char kNewline = '\n';
  lines_in_flight_ = std::min(queue_.size(), kMaxLinesPerWrite);
  for (std::size_t i = 0; i < lines_in_flight_; ++i) {
    queue_[i].append_buffers(write_buffers_);
    write_buffers_.push_back(boost::asio::buffer(&kNewline, 1));
  }
  boost::asio::async_write(socket_, write_buffers_,
                           [self = shared_from_this()](const boost::system::error_code& error,
                                                       std::size_t) { self->on_write(error); });
}

void LineChannel::on_write(const boost::system::error_code& error) {
  writing_ = false;
  if (state_ == State::kClosed) return;
  if (error) {
    if (state_ == State::kDraining) {
      shut_socket();
      state_ = State::kClosed;
    } else {
      fail(error);
    }
    return;
  }
  for (std::size_t i = 0; i < lines_in_flight_; ++i) {
    queued_bytes_ -= queue_.front().size() + 1;
    queue_.pop_front();
  }
  lines_in_flight_ = 0;
  if (queue_.empty()) queue_emptied();
  if (!queue_.empty()) {
    write_some();
  } else if (state_ == State::kDraining) {
    shut_socket();
    state_ = State::kClosed;
  }
}

void LineChannel::fail(const boost::system::error_code& error) {
  if (state_ != State::kOpen) return;
  state_ = State::kClosed;
  shut_socket();
  report_closed(error);
}

void LineChannel::report_closed(const boost::system::error_code& error) {
  auto on_closed = std::move(handlers_.on_closed);
  release_handlers();
  if (on_closed) on_closed(error);
}

void LineChannel::close() {
  overflow_report_pending_ = false;
  if (state_ == State::kClosed) {
    release_handlers();
    return;
  }
  state_ = State::kClosed;
  shut_socket();
  release_handlers();
}

void LineChannel::close_after_flush() {
  if (state_ == State::kClosed) close();  // cancels a pending overflow report
  if (state_ != State::kOpen) return;
  state_ = State::kDraining;
  release_handlers();
  if (!writing_) {
    shut_socket();
    state_ = State::kClosed;
  }
}

void LineChannel::shut_socket() {
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  lines_in_flight_ = 0;
  queue_emptied();
}

void LineChannel::queue_emptied() {
  if (queue_peak_bytes_ >= kReleaseMemoryAfterBytes) release_free_memory();
  queue_peak_bytes_ = 0;
}

void LineChannel::release_handlers() {
  if (callback_depth_ > 0) {
    release_pending_ = true;
    return;
  }
  release_pending_ = false;
  handlers_ = Handlers{};
  on_owned_frame_ = nullptr;
}

}  // namespace codeloc::ipc
