#include "ipc/method_table.h"

#include <memory>

#include <spdlog/spdlog.h>

namespace codeloc::ipc {

MethodResult MethodResult::raw(std::string raw_json) {
  MethodResult result;
  result.raw_ = std::move(raw_json);
  result.is_raw_ = true;
  return result;
}

MethodResult MethodResult::spliced(std::string head, std::shared_ptr<const std::string> shared,
                                   std::string tail) {
  MethodResult result;
  result.raw_ = std::move(head);
  result.shared_ = std::move(shared);
  result.tail_ = std::move(tail);
  result.is_spliced_ = true;
  return result;
}

void MethodResult::answer(const Responder& responder) const {
  if (is_spliced_) {
    responder.reply_spliced(raw_, shared_, tail_);
  } else if (is_raw_) {
    responder.reply_raw(raw_);
  } else {
    responder.reply(value_);
  }
}

void MethodDispatcher::add(std::string method, ErasedHandler handler) {
  handlers_.insert_or_assign(std::move(method), std::move(handler));
}

bool MethodDispatcher::contains(std::string_view method) const {
  return handlers_.find(std::string(method)) != handlers_.end();
}

void MethodDispatcher::dispatch(Message message, void* context, SendFunction send) const {
  switch (message.kind) {
    case MessageKind::kResponse:
      spdlog::debug("ipc: ignoring a response sent to a server (id {})", dump_json(message.id));
      return;
    case MessageKind::kInvalid:
      send(make_error(message.id, *message.error));
      return;
    case MessageKind::kRequest:
    case MessageKind::kNotification: {
      auto collector = std::make_shared<detail::AnswerCollector>(std::move(send), false, 1);
      const bool notification = message.kind == MessageKind::kNotification;
      run(message, context, Responder(collector, 0, message.id, message.method, notification));
      collector->release();
      return;
    }
    case MessageKind::kBatch: {
      auto collector =
          std::make_shared<detail::AnswerCollector>(std::move(send), true, message.batch.size());
      for (std::size_t i = 0; i < message.batch.size(); ++i) {
        const Message& element = message.batch[i];
        if (element.kind == MessageKind::kInvalid) {
          collector->complete(i, make_error(element.id, *element.error));
          continue;
        }
        const bool notification = element.kind == MessageKind::kNotification;
        run(element, context, Responder(collector, i, element.id, element.method, notification));
      }
      collector->release();
      return;
    }
  }
}

// The one place where exceptions become JSON-RPC errors.
void MethodDispatcher::run(const Message& request, void* context, Responder responder) const {
  const auto it = handlers_.find(request.method);
  if (it == handlers_.end()) {
    responder.fail(RpcError::method_not_found(request.method));
    return;
  }
  try {
    it->second(request.params, context, responder);
    return;
  } catch (const RpcError& error) {
    if (!responder.done()) {
      responder.fail(error);
      return;
    }
    spdlog::error("ipc: '{}' threw after answering: {}", request.method, error.what());
  } catch (const std::exception& error) {
    spdlog::error("ipc: '{}' failed: {}", request.method, error.what());
    if (!responder.done()) responder.fail(RpcError::internal_error(error.what()));
  } catch (...) {
    spdlog::error("ipc: '{}' failed with a non-standard exception", request.method);
    if (!responder.done()) responder.fail(RpcError::internal_error("unknown error"));
  }
}

}  // namespace codeloc::ipc
