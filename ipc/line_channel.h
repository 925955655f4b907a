// A newline-delimited connection over a Unix stream socket: frames in, lines out, with bounded
// memory both ways. Runs on one io_context thread; every callback runs on that loop.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/system/error_code.hpp>

#include "ipc/frame_decoder.h"
#include "ipc/lazy_deque.h"
#include "ipc/outgoing_line.h"
#include "ipc/protocol.h"

namespace codeloc::ipc {

// Ownership: always held by shared_ptr (create / from_fd). Pending reads and writes hold a
// reference, so the owner may drop its pointer at any time, including inside a callback; after
// close() the channel calls nothing more and frees its handlers (and what they capture).
class LineChannel : public std::enable_shared_from_this<LineChannel> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  struct Options {
    std::size_t max_frame_bytes = kDefaultMaxRequestBytes;  // longer incoming lines: on_too_large
    // Bound on bytes queued for writing. A send() that would pass it closes the channel with
    // ChannelErrc::kOutputQueueFull; a single line larger than the bound is still accepted when
    // nothing else is queued, so a reader that keeps up can receive one big snapshot.
    std::size_t max_queued_bytes = kDefaultMaxQueuedBytes;
    // Bytes read per loop callback: bounds the work one callback does, so a flooding peer cannot
    // starve the loop.
    std::size_t read_chunk_bytes = 64u << 10;
    // Frames at least this long go to Handlers::on_owned_frame when it is set.
    std::size_t owned_frame_min_bytes = 1u << 20;
  };

  struct Handlers {
    // A complete frame (without its '\n'); the view is valid only during the call.
    std::function<void(std::string_view frame)> on_frame;
    // An incoming line went over max_frame_bytes and is being discarded; reading goes on.
    std::function<void()> on_too_large;
    // The channel closed itself: boost::asio::error::eof when the peer closed, a socket error,
    // or ChannelErrc::kOutputQueueFull. Called at most once, and never after close() or
    // close_after_flush().
    std::function<void(const boost::system::error_code& error)> on_closed;
  };

  static std::shared_ptr<LineChannel> create(Socket socket, const Options& options);
  // Takes ownership of `fd` (one end of a socketpair, or an accepted connection) in every case:
  // on failure it is closed, `error` is set and nullptr returned.
  static std::shared_ptr<LineChannel> from_fd(const boost::asio::any_io_executor& executor, int fd,
                                              const Options& options,
                                              boost::system::error_code& error);

  ~LineChannel();
  LineChannel(const LineChannel&) = delete;
  LineChannel& operator=(const LineChannel&) = delete;

  // Starts reading and delivering frames. Call once. send() works before start().
  void start(Handlers handlers);
  // Optional, before start(): complete frames of at least Options::owned_frame_min_bytes go to
  // `on_owned_frame` instead of Handlers::on_frame, as owned pieces of about that size moved out
  // of the read buffer (never copied on the loop), e.g. to join and parse them on another
  // thread. Freed with the handlers.
  void set_owned_frame_handler(std::function<void(FramePieces frame)> on_owned_frame);

  // While paused, no frame is delivered and nothing more is read: the frames already read wait
  // in the decoder (at most one read chunk's worth) and the peer's writes wait in the socket.
  // E.g. while a big frame is parsed on another thread (RpcPeer), so that a peer sending more
  // cannot make the daemon hold more of it. Safe inside a handler; no-op when closed.
  void pause_reading();
  void resume_reading();

  // Queues `line` followed by '\n'. REQUIRES: `line` holds no '\n'. Returns false when the
  // channel is closed or this send overflowed the queue (the channel is then closed, and
  // on_closed(kOutputQueueFull) is posted to the loop, never called from inside send()).
  bool send(OutgoingLine line);

  // Closes at once: queued output is dropped, no callback runs after this returns.
  void close();
  // Stops reading, writes what is queued, then closes; no callback runs after this returns.
  void close_after_flush();

  bool is_open() const { return state_ == State::kOpen; }
  std::size_t queued_bytes() const { return queued_bytes_; }
  Socket& socket() { return socket_; }  // e.g. for SO_PEERCRED
  boost::asio::any_io_executor get_executor() { return socket_.get_executor(); }

 private:
  enum class State { kOpen, kDraining, kClosed };

  LineChannel(Socket socket, const Options& options);

  // read_some queues a read attempt; on_readable reads one chunk into a scratch buffer shared by
  // the thread's channels and hands it to on_read, or, when there is nothing to read, waits for
  // the socket to be readable (wait_readable) and tries again.
  void read_some();
  void wait_readable();
  void on_readable(const boost::system::error_code& error);
  void on_read(const boost::system::error_code& error, std::string_view bytes);
  void write_some();
  void on_write(const boost::system::error_code& error);
  // The channel decided to close (peer EOF, socket error, overflow): report it once.
  void fail(const boost::system::error_code& error);
  void report_closed(const boost::system::error_code& error);
  void shut_socket();
  // The queue is empty: after a big one (8 MiB or more), returns free heap memory to the system.
  void queue_emptied();
  void release_handlers();

  Socket socket_;
  Options options_;
  FrameDecoder decoder_;
  Handlers handlers_;
  std::function<void(FramePieces frame)> on_owned_frame_;
  State state_ = State::kOpen;
  bool started_ = false;
  bool paused_ = false;
  bool reading_ = false;                  // a read attempt or a wait for readability is outstanding
  int callback_depth_ = 0;                // > 0 while a handler runs: handlers must not be freed
  bool release_pending_ = false;          // close() ran inside a handler: free them when it returns
  bool overflow_report_pending_ = false;  // send() overflowed; on_closed is posted

  LazyDeque<OutgoingLine> queue_;     // lines without their '\n'; stay in place on push_back
  std::size_t queued_bytes_ = 0;      // with the '\n's
  std::size_t queue_peak_bytes_ = 0;  // the most queued since the queue was last empty
  std::vector<boost::asio::const_buffer> write_buffers_;
  std::size_t lines_in_flight_ = 0;  // the first lines_in_flight_ of queue_ are being written
  bool writing_ = false;
};

}  // namespace codeloc::ipc
