// A JSON-RPC error ({code, message, data}) as a value and as the exception method handlers throw.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace codeloc::ipc {

// Thrown by method handlers and parameter helpers; the dispatcher (method_table.h) is the one
// place that catches it and answers with it. Also the error a Client call throws and the error
// half of an RpcReply. Codes are in protocol.h (error_code::).
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, const std::string& message, nlohmann::json data = nullptr);

  int code() const { return code_; }
  std::string message() const { return what(); }
  const nlohmann::json& data() const { return data_; }

  // {"code":..., "message":..., "data":...}; data is left out when null.
  nlohmann::json to_json() const;
  // Reads an error object; a malformed one becomes an internal error describing it.
  static RpcError from_json(const nlohmann::json& error);

  static RpcError parse_error(const std::string& detail);
  static RpcError invalid_request(const std::string& detail);
  static RpcError method_not_found(const std::string& method);
  static RpcError invalid_params(const std::string& message, nlohmann::json data = nullptr);
  static RpcError internal_error(const std::string& message);

 private:
  int code_;
  nlohmann::json data_;
};

}  // namespace codeloc::ipc
