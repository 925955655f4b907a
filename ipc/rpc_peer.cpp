#include "ipc/rpc_peer.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

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
}

void RpcPeer::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  std::weak_ptr<RpcPeer> weak = weak_from_this();
  channel_->start({
      .on_frame =
          [weak](std::string_view frame) {
            if (auto self = weak.lock()) self->on_frame(frame);
          },
      .on_too_large =
          [weak] {
            auto self = weak.lock();
            if (!self || !self->handlers_.on_too_large) return;
            auto on_too_large = self->handlers_.on_too_large;  // it may close() and clear handlers_
            on_too_large();
          },
      .on_closed =
          [weak](const boost::system::error_code& error) {
            if (auto self = weak.lock()) self->on_channel_closed(error);
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
  handlers_ = Handlers{};
  for (auto& [id, pending] : take_pending()) {
    post_reply(std::move(pending.on_reply),
               RpcReply::failure(closed_error(pending.method, "closed locally")));
  }
}

void RpcPeer::on_frame(std::string_view frame) {
  Message message = parse_message(frame);
  if (message.kind == MessageKind::kResponse) {
    on_response(message);
  } else if (handlers_.on_message) {
    auto on_message = handlers_.on_message;  // a copy: the handler may close() and clear handlers_
    on_message(std::move(message));
  } else {
    spdlog::warn("ipc: dropping an unexpected message ({} bytes)", frame.size());
  }
}

void RpcPeer::on_response(const Message& message) {
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
  pending.on_reply(message.error ? RpcReply::failure(*message.error)
                                 : RpcReply::success(std::string(message.raw_result)));
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
