#include "ipc/json_rpc.h"

#include "ipc/json_span.h"
#include "ipc/protocol.h"

namespace codeloc::ipc {
namespace {

using nlohmann::json;

// The members of an envelope that decide its kind; null pointers for absent ones.
struct Envelope {
  const json* jsonrpc = nullptr;
  const json* id = nullptr;
  const json* method = nullptr;
  const json* params = nullptr;
  const json* error = nullptr;
  bool has_result = false;
  std::string_view raw_result;
};

bool is_valid_id(const json& id) {
  return id.is_string() || id.is_number() || id.is_null();
}

Message invalid(const Envelope& envelope, const std::string& detail) {
  Message message;
  message.kind = MessageKind::kInvalid;
  if (envelope.id != nullptr && is_valid_id(*envelope.id)) message.id = *envelope.id;
  message.error = RpcError::invalid_request(detail);
  return message;
}

Message classify(const Envelope& envelope) {
  if (envelope.jsonrpc == nullptr || *envelope.jsonrpc != "2.0") {
    return invalid(envelope, "\"jsonrpc\" must be \"2.0\"");
  }
  if (envelope.id != nullptr && !is_valid_id(*envelope.id)) {
    return invalid(envelope, "\"id\" must be a string, a number or null");
  }
  Message message;
  if (envelope.method != nullptr) {
    if (!envelope.method->is_string()) return invalid(envelope, "\"method\" must be a string");
    if (envelope.has_result || envelope.error != nullptr) {
      return invalid(envelope, "a request has no \"result\" or \"error\"");
    }
    if (envelope.params != nullptr && !envelope.params->is_object() &&
        !envelope.params->is_array()) {
      return invalid(envelope, "\"params\" must be an object or an array");
    }
    message.kind = envelope.id != nullptr ? MessageKind::kRequest : MessageKind::kNotification;
    if (envelope.id != nullptr) message.id = *envelope.id;
    message.method = envelope.method->get<std::string>();
    if (envelope.params != nullptr) message.params = *envelope.params;
    return message;
  }
  if (envelope.has_result == (envelope.error != nullptr)) {
    return invalid(envelope, "needs \"method\", or exactly one of \"result\" and \"error\"");
  }
  if (envelope.id == nullptr) return invalid(envelope, "a response needs an \"id\"");
  if (envelope.error != nullptr) {
    const json& error = *envelope.error;
    if (!error.is_object() || !error.contains("code") || !error["code"].is_number_integer() ||
        !error.contains("message") || !error["message"].is_string()) {
      return invalid(envelope, "\"error\" must be an object with an integer code and a message");
    }
    message.error = RpcError::from_json(error);
  }
  message.kind = MessageKind::kResponse;
  message.id = *envelope.id;
  message.raw_result = envelope.raw_result;
  return message;
}

Message parse_error(const std::string& detail) {
  Message message;
  message.kind = MessageKind::kInvalid;
  message.error = RpcError::parse_error(detail);
  return message;
}

Message parse_object(std::string_view frame) {
  const JsonObjectScan scan = scan_object(frame);
  if (!scan.ok()) {
    return parse_error(scan.error->message + " at byte " + std::to_string(scan.error->offset));
  }
  // Only the small members are decoded. The scan has validated them, so parsing cannot fail short
  // of a number nlohmann cannot represent.
  json jsonrpc, id, method, params, error;
  Envelope envelope;
  const auto take = [&](std::string_view key, json& slot, const json*& pointer) {
    const auto span = scan.find(key);
    if (!span) return true;
    slot = json::parse(*span, nullptr, false);
    if (slot.is_discarded()) return false;
    pointer = &slot;
    return true;
  };
  if (!take("jsonrpc", jsonrpc, envelope.jsonrpc) || !take("id", id, envelope.id) ||
      !take("method", method, envelope.method) || !take("params", params, envelope.params) ||
      !take("error", error, envelope.error)) {
    return parse_error("a value cannot be represented");
  }
  if (const auto result = scan.find("result")) {
    envelope.has_result = true;
    envelope.raw_result = *result;
  }
  return classify(envelope);
}

Message parse_batch(std::string_view frame) {
  const json value = json::parse(frame, nullptr, false);
  if (value.is_discarded()) return parse_error("a value cannot be represented");
  if (value.empty()) {
    Message message;
    message.kind = MessageKind::kInvalid;
    message.error = RpcError::invalid_request("empty batch");
    return message;
  }
  Message message;
  message.kind = MessageKind::kBatch;
  message.batch.reserve(value.size());
  for (const json& element : value)
    message.batch.push_back(classify_message(element));
  return message;
}

std::string prefix(const json& id) {
  return R"({"jsonrpc":"2.0","id":)" + dump_json(id);
}

}  // namespace

Message parse_message(std::string_view frame) {
  frame = trim_json_whitespace(frame);
  if (!frame.empty() && frame.front() == '{') return parse_object(frame);
  // Validate before nlohmann parses: its parser recurses without a depth limit.
  if (const auto error = validate_json(frame)) {
    return parse_error(error->message + " at byte " + std::to_string(error->offset));
  }
  if (frame.front() == '[') return parse_batch(frame);
  Message message;
  message.kind = MessageKind::kInvalid;
  message.error = RpcError::invalid_request("a message must be an object or an array");
  return message;
}

Message classify_message(const nlohmann::json& value) {
  Envelope envelope;
  if (!value.is_object()) return invalid(envelope, "a message must be an object");
  const auto member = [&](const char* key) -> const json* {
    const auto it = value.find(key);
    return it != value.end() ? &*it : nullptr;
  };
  envelope.jsonrpc = member("jsonrpc");
  envelope.id = member("id");
  envelope.method = member("method");
  envelope.params = member("params");
  envelope.error = member("error");
  if (value.contains("result")) {
    // Batches carry requests only (see Message::batch); a result here makes the element invalid.
    envelope.has_result = true;
    if (envelope.method == nullptr) return invalid(envelope, "a batch holds requests only");
  }
  if (envelope.error != nullptr && envelope.method == nullptr) {
    return invalid(envelope, "a batch holds requests only");
  }
  return classify(envelope);
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string make_request(const nlohmann::json& id, std::string_view method,
                         const nlohmann::json& params) {
  std::string line = prefix(id) + R"(,"method":)" + dump_json(json(method));
  if (!params.is_null()) line += R"(,"params":)" + dump_json(params);
  return line += '}';
}

std::string make_notification(std::string_view method, const nlohmann::json& params) {
  std::string line = R"({"jsonrpc":"2.0","method":)" + dump_json(json(method));
  if (!params.is_null()) line += R"(,"params":)" + dump_json(params);
  return line += '}';
}

std::string make_result(const nlohmann::json& id, const nlohmann::json& result) {
  return prefix(id) + R"(,"result":)" + dump_json(result) + '}';
}

std::string make_result_head(const nlohmann::json& id) {
  return prefix(id) + R"(,"result":)";
}

std::string make_raw_result(const nlohmann::json& id, std::string_view raw_json_result) {
  std::string head = make_result_head(id);
  std::string line;
  line.reserve(head.size() + raw_json_result.size() + 1);
  line += head;
  line += raw_json_result;
  return line += '}';
}

std::string make_error(const nlohmann::json& id, int code, std::string_view message,
                       const nlohmann::json& data) {
  json error = {{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  return prefix(id) + R"(,"error":)" + dump_json(error) + '}';
}

std::string make_too_large_error(std::size_t limit_bytes) {
  return make_error(nullptr, error_code::kMessageTooLarge,
                    "message too large: over " + std::to_string(limit_bytes) + " bytes",
                    {{"limit_bytes", limit_bytes}});
}

std::string make_error(const nlohmann::json& id, const RpcError& error) {
  return prefix(id) + R"(,"error":)" + dump_json(error.to_json()) + '}';
}

}  // namespace codeloc::ipc
