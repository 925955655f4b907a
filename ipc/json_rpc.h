// JSON-RPC 2.0 messages (docs/protocol.md, "JSON-RPC 2.0"): classifying a frame, and building
// the lines codeloc sends. No I/O. The built strings carry no trailing '\n'; LineChannel adds it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipc/rpc_error.h"

namespace codeloc::ipc {

enum class MessageKind {
  kRequest,       // has an id: answer it
  kNotification,  // no id: never answered
  kResponse,      // a result or an error for an earlier request
  kBatch,         // a non-empty array of requests
  kInvalid,       // not JSON, or JSON but not JSON-RPC: answer `error` with `id`
};

// One classified frame. Requests and notifications own their content; a response's raw_result
// points into the frame it was parsed from and is valid only while that frame is.
struct Message {
  MessageKind kind = MessageKind::kInvalid;
  // kRequest and kResponse: the id (a string, a number, or null). kInvalid: the request's id when
  // it could be read, else null, as JSON-RPC asks.
  nlohmann::json id;
  std::string method;     // kRequest, kNotification
  nlohmann::json params;  // kRequest, kNotification: an object, an array, or null when absent
  // kResponse with a result: its raw JSON text, not decoded (it may be a 50 MB snapshot).
  std::string_view raw_result;
  // kResponse with an error: the peer's error. kInvalid: the error to answer with
  // (-32700 parse error or -32600 invalid request).
  std::optional<RpcError> error;
  // kBatch: its elements, each a kRequest, a kNotification or a kInvalid (a response object in a
  // batch is an invalid request: codeloc never sends batches, so it never receives their answers).
  std::vector<Message> batch;

  bool is_error_response() const { return kind == MessageKind::kResponse && error.has_value(); }
};

// Classifies one frame. An object frame is scanned without a DOM (json_span.h); only its small
// members (jsonrpc, id, method, params, error) are parsed, never `result`. A batch is parsed whole
// after a depth-limited validation. Never throws.
Message parse_message(std::string_view frame);

// Classifies one already-parsed value (a batch element). A response's result is not kept.
Message classify_message(const nlohmann::json& value);

// Builders. `id` is a string, an integer or null; a null `params` is left out. Strings that are
// not valid UTF-8 are sent with U+FFFD in place of the bad bytes rather than throwing.
std::string make_request(const nlohmann::json& id, std::string_view method,
                         const nlohmann::json& params = nullptr);
std::string make_notification(std::string_view method, const nlohmann::json& params = nullptr);
std::string make_result(const nlohmann::json& id, const nlohmann::json& result);
// Splices `raw_json_result` in as the result, byte for byte, without decoding it.
// REQUIRES: raw_json_result is one well-formed JSON value without raw newlines
// (json_span.h validate_json).
std::string make_raw_result(const nlohmann::json& id, std::string_view raw_json_result);
// The start of a response up to its result, `{"jsonrpc":"2.0","id":ID,"result":`: a result
// written in parts follows, then one '}'.
std::string make_result_head(const nlohmann::json& id);
std::string make_error(const nlohmann::json& id, int code, std::string_view message,
                       const nlohmann::json& data = nullptr);
std::string make_error(const nlohmann::json& id, const RpcError& error);
// The answer to a line over the size limit (docs/protocol.md, "Framing"): -32014 with id null,
// since the discarded line's id cannot be known; data is {"limit_bytes": limit_bytes}.
std::string make_too_large_error(std::size_t limit_bytes);

// JSON text of `value` as codeloc writes it: compact, invalid UTF-8 replaced, never throws.
std::string dump_json(const nlohmann::json& value);

}  // namespace codeloc::ipc
