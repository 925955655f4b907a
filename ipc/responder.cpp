#include "ipc/responder.h"

#include <spdlog/spdlog.h>

#include "ipc/json_rpc.h"

namespace codeloc::ipc {

Responder::Responder(std::shared_ptr<detail::AnswerCollector> collector, std::size_t index,
                     nlohmann::json id, std::string method, bool notification)
    : slot_(std::make_shared<detail::ResponderSlot>()) {
  slot_->collector = std::move(collector);
  slot_->index = index;
  slot_->id = std::move(id);
  slot_->method = std::move(method);
  slot_->notification = notification;
}

void Responder::reply(const nlohmann::json& result) const {
  if (can_answer()) complete(slot_->notification ? std::string() : make_result(slot_->id, result));
}

void Responder::reply_raw(std::string_view raw_json_result) const {
  if (can_answer()) {
    complete(slot_->notification ? std::string() : make_raw_result(slot_->id, raw_json_result));
  }
}

void Responder::reply_spliced(std::string_view head, std::shared_ptr<const std::string> shared,
                              std::string_view tail) const {
  if (!can_answer()) return;
  if (slot_->notification) {
    complete(OutgoingLine());
    return;
  }
  complete(OutgoingLine(make_result_head(slot_->id).append(head), std::move(shared),
                        std::string(tail) + '}'));
}

void Responder::fail(const RpcError& error) const {
  if (can_answer()) complete(slot_->notification ? std::string() : make_error(slot_->id, error));
}

bool Responder::done() const {
  return slot_->done;
}

bool Responder::can_answer() const {
  if (slot_->done) spdlog::warn("ipc: '{}' answered twice; keeping the first", slot_->method);
  return !slot_->done;
}

bool Responder::is_notification() const {
  return slot_->notification;
}
const nlohmann::json& Responder::id() const {
  return slot_->id;
}
const std::string& Responder::method() const {
  return slot_->method;
}

void Responder::complete(OutgoingLine line) const {
  slot_->done = true;
  slot_->collector->complete(slot_->index, std::move(line));
}

namespace detail {

ResponderSlot::~ResponderSlot() {
  if (done) return;
  spdlog::error("ipc: '{}' was never answered", method);
  collector->complete(
      index, notification
                 ? std::string()
                 : make_error(id, RpcError::internal_error("the request was not answered")));
}

AnswerCollector::AnswerCollector(SendFunction send_function, bool is_batch, std::size_t size)
    : send(std::move(send_function)), batch(is_batch), parts(size), outstanding(size + 1) {}

void AnswerCollector::complete(std::size_t index, OutgoingLine line) {
  parts[index] = std::move(line);
  release();
}

void AnswerCollector::release() {
  if (--outstanding > 0) return;
  if (!batch) {
    if (!parts[0].empty()) send(std::move(parts[0]));
    return;
  }
  std::string answer;  // a batch is rare and its parts are small: one plain line
  for (const OutgoingLine& part : parts) {
    if (part.empty()) continue;
    answer += answer.empty() ? '[' : ',';
    answer += part.flatten();
  }
  if (!answer.empty()) send(answer += ']');
}

}  // namespace detail
}  // namespace codeloc::ipc
