#include "ipc/rpc_error.h"

#include "ipc/protocol.h"

namespace codeloc::ipc {

RpcError::RpcError(int code, const std::string& message, nlohmann::json data)
    : std::runtime_error(message), code_(code), data_(std::move(data)) {}

nlohmann::json RpcError::to_json() const {
  nlohmann::json error = {{"code", code_}, {"message", what()}};
  if (!data_.is_null()) error["data"] = data_;
  return error;
}

RpcError RpcError::from_json(const nlohmann::json& error) {
  if (!error.is_object() || !error.contains("code") || !error["code"].is_number_integer()) {
    return internal_error("malformed error object: " +
                          error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  const auto message = error.find("message");
  const auto data = error.find("data");
  return RpcError(
      error["code"].get<int>(),
      message != error.end() && message->is_string() ? message->get<std::string>() : std::string(),
      data != error.end() ? *data : nlohmann::json());
}

RpcError RpcError::parse_error(const std::string& detail) {
  return RpcError(error_code::kParseError, "parse error: " + detail);
}

RpcError RpcError::invalid_request(const std::string& detail) {
  return RpcError(error_code::kInvalidRequest, "invalid request: " + detail);
}

RpcError RpcError::method_not_found(const std::string& method) {
  return RpcError(error_code::kMethodNotFound, "method not found: '" + method + "'");
}

RpcError RpcError::invalid_params(const std::string& message, nlohmann::json data) {
  return RpcError(error_code::kInvalidParams, message, std::move(data));
}

RpcError RpcError::internal_error(const std::string& message) {
  return RpcError(error_code::kInternalError, message);
}

}  // namespace codeloc::ipc
