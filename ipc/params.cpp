#include "ipc/params.h"

#include "ipc/rpc_error.h"

namespace codeloc::ipc {
namespace {

[[noreturn]] void bad_param(std::string_view name, const std::string& message) {
  throw RpcError::invalid_params(message, {{"parameter", name}});
}

[[noreturn]] void wrong_type(std::string_view name, std::string_view expected) {
  bad_param(name, "parameter '" + std::string(name) + "' must be " + std::string(expected));
}

}  // namespace

const nlohmann::json* find_param(const nlohmann::json& params, std::string_view name) {
  if (params.is_null()) return nullptr;
  if (!params.is_object()) {
    throw RpcError::invalid_params("params must be an object of named parameters");
  }
  const auto it = params.find(name);
  return it == params.end() || it->is_null() ? nullptr : &*it;
}

const nlohmann::json& require_param(const nlohmann::json& params, std::string_view name) {
  const nlohmann::json* value = find_param(params, name);
  if (value == nullptr) bad_param(name, "missing parameter '" + std::string(name) + "'");
  return *value;
}

std::string require_string(const nlohmann::json& params, std::string_view name) {
  const nlohmann::json& value = require_param(params, name);
  if (!value.is_string()) wrong_type(name, "a string");
  return value.get<std::string>();
}

std::optional<std::string> optional_string(const nlohmann::json& params, std::string_view name) {
  if (find_param(params, name) == nullptr) return std::nullopt;
  return require_string(params, name);
}

std::int64_t require_int(const nlohmann::json& params, std::string_view name) {
  const nlohmann::json& value = require_param(params, name);
  if (value.is_number_integer()) return value.get<std::int64_t>();
  // 10.0 is an integer to a JSON client in most languages; 10.5 is not.
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) {
      return static_cast<std::int64_t>(d);
    }
  }
  wrong_type(name, "an integer");
}

std::optional<std::int64_t> optional_int(const nlohmann::json& params, std::string_view name) {
  if (find_param(params, name) == nullptr) return std::nullopt;
  return require_int(params, name);
}

std::optional<std::int64_t> optional_non_negative_int(const nlohmann::json& params,
                                                      std::string_view name) {
  const auto value = optional_int(params, name);
  if (value && *value < 0) wrong_type(name, "a non-negative integer");
  return value;
}

bool optional_bool(const nlohmann::json& params, std::string_view name, bool fallback) {
  const nlohmann::json* value = find_param(params, name);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) wrong_type(name, "a boolean");
  return value->get<bool>();
}

std::optional<std::vector<std::string>> optional_string_list(const nlohmann::json& params,
                                                             std::string_view name) {
  const nlohmann::json* value = find_param(params, name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_array()) wrong_type(name, "an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *value) {
    if (!item.is_string()) wrong_type(name, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace codeloc::ipc
