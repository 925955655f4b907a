// JSON-RPC over a LineChannel, in both directions: outgoing calls matched to their responses
// with a timeout each, and incoming requests and notifications handed to the owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

#include "ipc/json_rpc.h"
#include "ipc/lazy_deque.h"
#include "ipc/line_channel.h"
#include "ipc/rpc_reply.h"

namespace codeloc::ipc {

// Ownership: held by shared_ptr (create); owns its LineChannel. Timers and channel callbacks hold
// only weak references, so dropping the last pointer closes the channel and discards pending
// calls without calling their handlers. Every callback runs on the channel's loop, never from
// inside call(), notify(), send() or close().
//
// Each call is answered exactly once (unless the peer is destroyed first):
//   - with the peer's result or error;
//   - with error_code::kTimeout when no response came within its timeout;
//   - with error_code::kLocationUnavailable when the channel closed (the peer hung up, a socket
//     error, an output overflow, or close()) or was already closed when call() ran.
//
// A frame of kOffLoopParseBytes or more (a definitions snapshot) is parsed on a worker thread,
// so that validating it does not hold the loop; a response's result is cut out of the frame and
// its top-level members found there too (RpcReply::result_member). Until its answer is back on
// the loop the channel reads nothing more (LineChannel::pause_reading), and what was read
// already (later frames, oversize reports, the channel's close) waits in order, so the owner
// sees the same sequence of events as if it had been parsed at once. The worker touches only
// the frame it owns and posts its outcome to the loop; the destructor joins it (at most one
// frame's parse), and a parse finished after close() or destruction is dropped.
class RpcPeer : public std::enable_shared_from_this<RpcPeer> {
 public:
  using ReplyHandler = std::function<void(RpcReply reply)>;
  static constexpr std::size_t kOffLoopParseBytes = 1u << 20;

  struct Handlers {
    // Anything that is not a response: a request, a notification, a batch, or an invalid frame
    // (kInvalid, with the error to answer). Answer with send(), e.g. through
    // MethodTable::dispatch. Unset: such messages are logged and dropped.
    std::function<void(Message message)> on_message;
    // An incoming line was over the channel's size limit and was discarded.
    std::function<void()> on_too_large;
    // The channel closed by itself (see LineChannel::Handlers::on_closed); pending calls have
    // been answered by then. Never called after close().
    std::function<void(const boost::system::error_code& error)> on_closed;
  };

  static std::shared_ptr<RpcPeer> create(std::shared_ptr<LineChannel> channel);
  ~RpcPeer();
  RpcPeer(const RpcPeer&) = delete;
  RpcPeer& operator=(const RpcPeer&) = delete;

  // Starts the channel. Call once. call() works before start(), but no answer arrives until then.
  void start(Handlers handlers);

  // Sends a request with a fresh integer id; `on_reply` runs once with its answer.
  void call(std::string_view method, const nlohmann::json& params,
            std::chrono::milliseconds timeout, ReplyHandler on_reply);
  // Sends a notification. False when the channel is closed or overflowed.
  bool notify(std::string_view method, const nlohmann::json& params = nullptr);
  // Sends one prepared line (a response built with json_rpc.h, or a batch answer).
  bool send(std::string line);

  // Closes the channel at once. Pending calls are answered with kLocationUnavailable, from the
  // loop; no Handlers callback runs after this returns.
  void close();

  bool is_open() const { return channel_->is_open(); }
  std::size_t pending_calls() const { return pending_.size(); }
  LineChannel& channel() { return *channel_; }

 private:
  struct Pending {
    std::string method;
    std::chrono::milliseconds timeout;
    ReplyHandler on_reply;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  explicit RpcPeer(std::shared_ptr<LineChannel> channel);

  // A frame parsed off the loop.
  struct Parsed {
    Message message;                // a response's raw_result is cleared: its bytes are in `reply`
    std::optional<RpcReply> reply;  // kResponse only
  };
  // What came from the channel while a big frame was being parsed.
  struct Deferred {
    enum class Kind { kFrame, kTooLarge, kClosed } kind;
    FramePieces frame;
    boost::system::error_code error;
  };
  static Parsed parse_off_loop(std::string frame);

  void on_frame(std::string_view frame);
  void on_owned_frame(FramePieces frame);
  void on_channel_too_large();
  void start_parse(FramePieces frame);
  void on_parsed(std::uint64_t token, Parsed parsed);
  void deliver(Message message, std::optional<RpcReply> reply, std::size_t frame_bytes);
  void drain_deferred();
  void on_response(const Message& message, RpcReply reply);
  void on_timeout(std::int64_t id);
  void on_channel_closed(const boost::system::error_code& error);
  // Takes every pending call out, stopping their timers.
  std::map<std::int64_t, Pending> take_pending();
  void post_reply(ReplyHandler on_reply, RpcReply reply);

  std::shared_ptr<LineChannel> channel_;
  Handlers handlers_;
  std::int64_t next_id_ = 1;
  std::map<std::int64_t, Pending> pending_;
  bool parsing_ = false;           // a big frame is on the worker
  std::uint64_t parse_token_ = 0;  // bumped by close(): a parse started before is dropped
  LazyDeque<Deferred> deferred_;   // in arrival order, while parsing_
  std::thread worker_;             // the last big frame's parse (finished unless parsing_)
};

}  // namespace codeloc::ipc
