// Reading named parameters in method handlers. Each helper throws RpcError kInvalidParams
// (-32602) whose message names the parameter ("missing parameter 'name'", "parameter 'lines'
// must be an integer") and whose data is {"parameter": name}; the dispatcher turns it into the
// answer. `params` is the request's params: an object, or null when absent. An absent member and
// a null one are the same: "not given".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace codeloc::ipc {

// The member `name`, or nullptr when not given. Throws if params is neither null nor an object.
const nlohmann::json* find_param(const nlohmann::json& params, std::string_view name);
// The member `name`; throws "missing parameter 'name'" when not given.
const nlohmann::json& require_param(const nlohmann::json& params, std::string_view name);

std::string require_string(const nlohmann::json& params, std::string_view name);
std::optional<std::string> optional_string(const nlohmann::json& params, std::string_view name);

std::int64_t require_int(const nlohmann::json& params, std::string_view name);
std::optional<std::int64_t> optional_int(const nlohmann::json& params, std::string_view name);

bool optional_bool(const nlohmann::json& params, std::string_view name, bool fallback);

// An integer >= 0 (a line count, a timeout in milliseconds).
std::optional<std::int64_t> optional_non_negative_int(const nlohmann::json& params,
                                                      std::string_view name);

std::optional<std::vector<std::string>> optional_string_list(const nlohmann::json& params,
                                                             std::string_view name);

}  // namespace codeloc::ipc
