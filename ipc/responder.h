// The answer to one incoming request or notification, given exactly once: by the dispatcher for
// plain handlers, or later by an asynchronous handler (e.g. when a reload finishes).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ipc/outgoing_line.h"
#include "ipc/rpc_error.h"

namespace codeloc::ipc {

// Delivers one finished answer line (a response, or a batch's array), without a trailing '\n'.
using SendFunction = std::function<void(OutgoingLine line)>;

namespace detail {
struct AnswerCollector;
struct ResponderSlot;
}  // namespace detail

// A handle on one pending answer. Copies share it: the first reply()/reply_raw()/fail() answers,
// later ones are ignored (and logged). When the last copy goes away unanswered, the request is
// answered with an internal error, so a forgotten Responder never leaves a client hanging. For a
// notification every answer is dropped. Must be used on the loop that dispatched it; the
// SendFunction it ends in may run after the connection is gone (capture weak references there).
class Responder {
 public:
  void reply(const nlohmann::json& result) const;
  // REQUIRES: raw_json_result is one well-formed JSON value without raw newlines.
  void reply_raw(std::string_view raw_json_result) const;
  // The result is `head`, then *shared, then `tail`, spliced in unchanged; *shared is not copied
  // (OutgoingLine). REQUIRES: together they are one well-formed JSON value without raw newlines.
  void reply_spliced(std::string_view head, std::shared_ptr<const std::string> shared,
                     std::string_view tail) const;
  void fail(const RpcError& error) const;

  bool done() const;
  bool is_notification() const;
  const nlohmann::json& id() const;
  const std::string& method() const;

  // Used by the dispatcher: the answer for element `index` of `collector`.
  Responder(std::shared_ptr<detail::AnswerCollector> collector, std::size_t index,
            nlohmann::json id, std::string method, bool notification);

 private:
  bool can_answer() const;
  void complete(OutgoingLine line) const;

  std::shared_ptr<detail::ResponderSlot> slot_;
};

namespace detail {

// Gathers the answers of one dispatched frame: one response, or a batch's responses in request
// order, sent together once all are in (nothing at all when every element was a notification).
struct AnswerCollector {
  AnswerCollector(SendFunction send, bool batch, std::size_t size);
  void complete(std::size_t index, OutgoingLine line);  // empty for a notification
  // The dispatcher holds one extra count while it is still handing out elements.
  void release();

  SendFunction send;
  bool batch;
  std::vector<OutgoingLine> parts;
  std::size_t outstanding;
};

struct ResponderSlot {
  ~ResponderSlot();
  std::shared_ptr<AnswerCollector> collector;
  std::size_t index = 0;
  nlohmann::json id;
  std::string method;
  bool notification = false;
  bool done = false;
};

}  // namespace detail
}  // namespace codeloc::ipc
