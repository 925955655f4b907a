// The answer to one outgoing call: a result (kept as raw JSON text, parsed only on demand) or an
// error. A value type; moving it does not copy the result's bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ipc/rpc_error.h"

namespace codeloc::ipc {

class RpcReply {
 public:
  // REQUIRES: raw_result is one well-formed JSON value (as parse_message guarantees).
  static RpcReply success(std::string raw_result);
  static RpcReply failure(RpcError error);

  bool ok() const { return !error_.has_value(); }

  // REQUIRES: ok(). The result exactly as the peer sent it.
  std::string_view raw_result() const { return raw_result_; }
  // REQUIRES: ok(). Moves the bytes out (e.g. to keep a snapshot); raw_result() is empty after.
  std::string take_raw_result();
  // REQUIRES: ok(). The result parsed on first use and cached; null if nlohmann cannot represent
  // it (the text was validated, so only for numbers beyond its range). Do not call it on results
  // that may be large (a snapshot): that builds the DOM the raw form avoids.
  const nlohmann::json& result() const;

  // REQUIRES: !ok().
  const RpcError& error() const { return *error_; }

 private:
  RpcReply() = default;

  std::string raw_result_;
  mutable std::optional<nlohmann::json> parsed_;
  std::optional<RpcError> error_;
};

}  // namespace codeloc::ipc
