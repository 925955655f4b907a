// The table of JSON-RPC methods a server side offers, and the dispatcher that runs them: the one
// place where exceptions become JSON-RPC errors (STYLE.md points 6 and 10).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "ipc/json_rpc.h"
#include "ipc/responder.h"
#include "ipc/rpc_error.h"

namespace codeloc::ipc {

// What a plain handler returns: a JSON value, or raw JSON text spliced in unchanged (a snapshot
// relayed as received).
class MethodResult {
 public:
  MethodResult(nlohmann::json value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  // REQUIRES: raw_json is one well-formed JSON value without raw newlines.
  static MethodResult raw(std::string raw_json);
  // Raw JSON text in three parts, the middle one shared rather than copied
  // (Responder::reply_spliced).
  static MethodResult spliced(std::string head, std::shared_ptr<const std::string> shared,
                              std::string tail);

  void answer(const Responder& responder) const;

 private:
  MethodResult() = default;
  nlohmann::json value_;
  std::string raw_;  // the whole text, or the head of a spliced one
  std::shared_ptr<const std::string> shared_;
  std::string tail_;
  bool is_raw_ = false;
  bool is_spliced_ = false;
};

// The context-free core of MethodTable. `context` is the pointer MethodTable passes through.
class MethodDispatcher {
 public:
  using ErasedHandler =
      std::function<void(const nlohmann::json& params, void* context, Responder responder)>;

  void add(std::string method, ErasedHandler handler);
  bool contains(std::string_view method) const;
  void dispatch(Message message, void* context, SendFunction send) const;

 private:
  void run(const Message& request, void* context, Responder responder) const;

  std::unordered_map<std::string, ErasedHandler> handlers_;
};

// Handlers registered by name. A handler is a plain function of the request's params (null when
// absent) and the caller's Context (e.g. the connection and the supervisor it may act on):
//   - add():       returns a MethodResult (or anything convertible: nlohmann::json);
//   - add_async(): receives a Responder and answers through it now or later.
// Either may throw RpcError (use params.h for parameter checks); any other exception becomes an
// internal error (-32603) and is logged. Notifications run their handler but are never answered.
//
// dispatch() answers through `send`, once per frame: one response, a batch's array (notifications
// left out, nothing for an all-notification batch), or an error for an invalid frame (-32700,
// -32600). Responses that arrive as if they were requests are dropped, never answered, so two
// peers cannot bounce errors at each other. The Context must outlive any async handler's use of
// it; dispatch() itself keeps no reference once it returns.
template <class Context>
class MethodTable {
 public:
  using Handler = std::function<MethodResult(const nlohmann::json& params, Context& context)>;
  using AsyncHandler =
      std::function<void(const nlohmann::json& params, Context& context, Responder responder)>;

  // Registering a name twice replaces the first handler.
  void add(std::string method, Handler handler) {
    dispatcher_.add(std::move(method),
                    [handler = std::move(handler)](const nlohmann::json& params, void* context,
                                                   Responder responder) {
                      handler(params, *static_cast<Context*>(context)).answer(responder);
                    });
  }

  void add_async(std::string method, AsyncHandler handler) {
    dispatcher_.add(std::move(method),
                    [handler = std::move(handler)](const nlohmann::json& params, void* context,
                                                   Responder responder) {
                      handler(params, *static_cast<Context*>(context), std::move(responder));
                    });
  }

  bool contains(std::string_view method) const { return dispatcher_.contains(method); }

  void dispatch(std::string_view frame, Context& context, SendFunction send) const {
    dispatcher_.dispatch(parse_message(frame), &context, std::move(send));
  }
  void dispatch(Message message, Context& context, SendFunction send) const {
    dispatcher_.dispatch(std::move(message), &context, std::move(send));
  }

 private:
  MethodDispatcher dispatcher_;
};

}  // namespace codeloc::ipc
