#include "ipc/rpc_peer.h"

#include <system_error>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "ipc/json_span.h"
#include "ipc/protocol.h"

namespace codeloc::ipc {
namespace {

RpcError closed_error(std::string_view method, const std::string& reason) {
  return RpcError(error_code::kLocationUnavailable,
                  "'" + std::string(method) + "' not answered: channel closed (" + reason + ")");
}

}  // namespace

std::shared_ptr<RpcPeer> RpcPeer::create(std::shared_ptr<LineChannel> channel) {
  return std::shared_ptr<RpcPeer>(new RpcPeer(std::move(channel)));
}

RpcPeer::RpcPeer(std::shared_ptr<LineChannel> channel) : channel_(std::move(channel)) {}

RpcPeer::~RpcPeer() {
  channel_->close();
  take_pending();
  // The worker holds no reference to this peer; its posted outcome finds the weak pointer expired.
  if (worker_.joinable()) worker_.join();
}

void RpcPeer::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  std::weak_ptr<RpcPeer> weak = weak_from_this();
  channel_->set_owned_frame_handler([weak](FramePieces frame) {
    if (auto self = weak.lock()) self->on_owned_frame(std::move(frame));
  });
  channel_->start({
      .on_frame =
          [weak](std::string_view frame) {
            if (auto self = weak.lock()) self->on_frame(frame);
          },
      .on_too_large =
          [weak] {
            if (auto self = weak.lock()) self->on_channel_too_large();
          },
      .on_closed =
          [weak](const boost::system::error_code& error) {
            auto self = weak.lock();
            if (!self) return;
            if (self->parsing_) {
              self->deferred_.push_back({Deferred::Kind::kClosed, {}, error});
            } else {
              self->on_channel_closed(error);
            }
          },
  });
}

void RpcPeer::call(std::string_view method, const nlohmann::json& params,
                   std::chrono::milliseconds timeout, ReplyHandler on_reply) {
  if (!channel_->is_open()) {
    post_reply(std::move(on_reply), RpcReply::failure(closed_error(method, "already closed")));
    return;
  }
  const std::int64_t id = next_id_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(channel_->get_executor(), timeout);
  timer->async_wait([weak = weak_from_this(), id](const boost::system::error_code& error) {
    if (error) return;  // cancelled: answered or closed
    if (auto self = weak.lock()) self->on_timeout(id);
  });
  pending_.emplace(id,
                   Pending{std::string(method), timeout, std::move(on_reply), std::move(timer)});
  // On overflow the channel reports on_closed from the loop, which answers this call.
  channel_->send(make_request(id, method, params));
}

bool RpcPeer::notify(std::string_view method, const nlohmann::json& params) {
  return channel_->send(make_notification(method, params));
}

bool RpcPeer::send(std::string line) {
  return channel_->send(std::move(line));
}

void RpcPeer::close() {
  channel_->close();
  ++parse_token_;
  parsing_ = false;
  deferred_.clear();
  handlers_ = Handlers{};
  for (auto& [id, pending] : take_pending()) {
    post_reply(std::move(pending.on_reply),
               RpcReply::failure(closed_error(pending.method, "closed locally")));
  }
}

void RpcPeer::on_frame(std::string_view frame) {
  if (parsing_) {
    deferred_.push_back({Deferred::Kind::kFrame, FramePieces{{std::string(frame)}}, {}});
    return;
  }
  Message message = parse_message(frame);
  std::optional<RpcReply> reply;
  if (message.kind == MessageKind::kResponse) {
    reply = message.error ? RpcReply::failure(*message.error)
                          : RpcReply::success(std::string(message.raw_result));
  }
  deliver(std::move(message), std::move(reply), frame.size());
}

void RpcPeer::on_owned_frame(FramePieces frame) {
  if (parsing_) {
    deferred_.push_back({Deferred::Kind::kFrame, std::move(frame), {}});
    return;
  }
  start_parse(std::move(frame));
}

void RpcPeer::on_channel_too_large() {
  if (parsing_) {
    deferred_.push_back({Deferred::Kind::kTooLarge, {}, {}});
    return;
  }
  if (!handlers_.on_too_large) return;
  auto on_too_large = handlers_.on_too_large;  // it may close() and clear handlers_
  on_too_large();
}

RpcPeer::Parsed RpcPeer::parse_off_loop(std::string frame) {
  Parsed parsed;
  parsed.message = parse_message(frame);
  Message& message = parsed.message;
  if (message.kind != MessageKind::kResponse) return parsed;
  if (message.error) {
    parsed.reply = RpcReply::failure(*message.error);
    return parsed;
  }
  // Cut the result out of the frame in place: a copy or a memmove of 50 MB is what the loop
  // must not do.
  const auto offset = static_cast<std::size_t>(message.raw_result.data() - frame.data());
  const std::size_t size = message.raw_result.size();
  message.raw_result = {};
  frame.resize(offset + size);
  frame.erase(0, offset);
  std::vector<RpcReply::Member> members;
  if (!frame.empty() && frame.front() == '{') {
    const JsonObjectScan scan = scan_object(frame);  // cannot fail: the frame was validated
    members.reserve(scan.members.size());
    for (const JsonMember& member : scan.members) {
      members.push_back({member.key, static_cast<std::size_t>(member.value.data() - frame.data()),
                         member.value.size()});
    }
  }
  parsed.reply = RpcReply::success(std::move(frame), std::move(members));
  return parsed;
}

void RpcPeer::start_parse(FramePieces frame) {
  if (worker_.joinable()) worker_.join();  // the previous parse has posted its outcome already
  parsing_ = true;
  // Nothing more is read meanwhile: a peer sending big frames faster than they parse would
  // otherwise make the daemon hold all of them (they wait in the peer's socket instead).
  channel_->pause_reading();
  const std::uint64_t token = parse_token_;
  std::weak_ptr<RpcPeer> weak = weak_from_this();
  auto executor = channel_->get_executor();
  auto shared_frame = std::make_shared<FramePieces>(std::move(frame));
  try {
    worker_ = std::thread([weak, token, executor, shared_frame] {
      // Joining the pieces is a copy of the whole frame: here, not on the loop.
      auto parsed = std::make_shared<Parsed>(parse_off_loop(std::move(*shared_frame).join()));
      boost::asio::post(executor, [weak, token, parsed] {
        if (auto self = weak.lock()) self->on_parsed(token, std::move(*parsed));
      });
    });
  } catch (const std::system_error& error) {
    // No thread to be had: parse it here rather than drop it.
    spdlog::warn("ipc: parsing a {}-byte frame on the loop: {}", shared_frame->size(),
                 error.what());
    parsing_ = false;
    channel_->resume_reading();
    const std::size_t bytes = shared_frame->size();
    Parsed parsed = parse_off_loop(std::move(*shared_frame).join());
    deliver(std::move(parsed.message), std::move(parsed.reply), bytes);
  }
}

void RpcPeer::on_parsed(std::uint64_t token, Parsed parsed) {
  if (token != parse_token_ || !parsing_) return;  // closed meanwhile
  parsing_ = false;
  deliver(std::move(parsed.message), std::move(parsed.reply), 0);
  drain_deferred();
  if (!parsing_) channel_->resume_reading();
}

void RpcPeer::drain_deferred() {
  while (!parsing_ && !deferred_.empty()) {
    Deferred next = std::move(deferred_.front());
    deferred_.pop_front();
    switch (next.kind) {
      case Deferred::Kind::kFrame:
        if (next.frame.size() >= kOffLoopParseBytes) {
          start_parse(std::move(next.frame));
        } else {
          const std::string frame = std::move(next.frame).join();
          on_frame(frame);
        }
        break;
      case Deferred::Kind::kTooLarge:
        on_channel_too_large();
        break;
      case Deferred::Kind::kClosed:
        on_channel_closed(next.error);
        break;
    }
  }
}

void RpcPeer::deliver(Message message, std::optional<RpcReply> reply, std::size_t frame_bytes) {
  if (message.kind == MessageKind::kResponse) {
    on_response(message, std::move(*reply));
  } else if (handlers_.on_message) {
    auto on_message = handlers_.on_message;  // a copy: the handler may close() and clear handlers_
    on_message(std::move(message));
  } else {
    spdlog::warn("ipc: dropping an unexpected message ({} bytes)", frame_bytes);
  }
}

void RpcPeer::on_response(const Message& message, RpcReply reply) {
  const auto it = message.id.is_number_integer() ? pending_.find(message.id.get<std::int64_t>())
                                                 : pending_.end();
  if (it == pending_.end()) {
    if (message.id.is_null() && message.error) {
      // The peer could not read something we sent (e.g. over its size limit).
      spdlog::warn("ipc: peer reported an error without an id: {}", message.error->what());
    } else {
      // Late (timed out) or foreign: nobody waits for it any more.
      spdlog::debug("ipc: dropping a response to unknown id {}", dump_json(message.id));
    }
    return;
  }
  Pending pending = std::move(it->second);
  pending_.erase(it);
  pending.timer->cancel();
  pending.on_reply(std::move(reply));
}

void RpcPeer::on_timeout(std::int64_t id) {
  const auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending pending = std::move(it->second);
  pending_.erase(it);
  const auto ms = pending.timeout.count();
  pending.on_reply(RpcReply::failure(
      RpcError(error_code::kTimeout,
               "'" + pending.method + "' timed out after " + std::to_string(ms) + " ms",
               {{"method", pending.method}, {"timeout_ms", ms}})));
}

void RpcPeer::on_channel_closed(const boost::system::error_code& error) {
  for (auto& [id, pending] : take_pending()) {
    pending.on_reply(RpcReply::failure(closed_error(pending.method, error.message())));
  }
  auto on_closed = std::move(handlers_.on_closed);
  handlers_ = Handlers{};
  if (on_closed) on_closed(error);
}

std::map<std::int64_t, RpcPeer::Pending> RpcPeer::take_pending() {
  std::map<std::int64_t, Pending> taken;
  taken.swap(pending_);
  for (auto& [id, pending] : taken)
    pending.timer->cancel();
  return taken;
}

void RpcPeer::post_reply(ReplyHandler on_reply, RpcReply reply) {
  boost::asio::post(channel_->get_executor(),
                    [on_reply = std::move(on_reply), reply = std::move(reply)]() mutable {
                      on_reply(std::move(reply));
                    });
}

}  // namespace codeloc::ipc
