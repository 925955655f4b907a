// The answer to one outgoing call: a result (kept as raw JSON text, parsed only on demand) or an
// error. A value type; moving it does not copy the result's bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipc/rpc_error.h"

namespace codeloc::ipc {

class RpcReply {
 public:
  // REQUIRES: raw_result is one well-formed JSON value (as parse_message guarantees).
  static RpcReply success(std::string raw_result);
  // The top-level members of an object result, as offsets into raw_result.
  struct Member {
    std::string key;
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  // REQUIRES: as above, and `members` are raw_result's top-level members (scan_object), so that
  // a caller need not validate a big result again (RpcPeer finds them off the loop).
  static RpcReply success(std::string raw_result, std::vector<Member> members);
  static RpcReply failure(RpcError error);

  bool ok() const { return !error_.has_value(); }

  // REQUIRES: ok(). The result exactly as the peer sent it.
  std::string_view raw_result() const { return raw_result_; }
  // REQUIRES: ok(). Moves the bytes out (e.g. to keep a snapshot); raw_result() is empty after.
  std::string take_raw_result();
  // REQUIRES: ok(). True when the result's top-level members came with it (a big reply, parsed
  // off the loop); otherwise scan raw_result() (json_span.h scan_object) when they are needed.
  bool has_result_members() const { return members_.has_value(); }
  // REQUIRES: has_result_members(). The raw text of the member `key` (the last one when a key
  // repeats), pointing into raw_result(); nullopt when there is none.
  std::optional<std::string_view> result_member(std::string_view key) const;
  // REQUIRES: ok(). The result parsed on first use and cached; null if nlohmann cannot represent
  // it (the text was validated, so only for numbers beyond its range). Do not call it on results
  // that may be large (a snapshot): that builds the DOM the raw form avoids.
  const nlohmann::json& result() const;

  // REQUIRES: !ok().
  const RpcError& error() const { return *error_; }

 private:
  RpcReply() = default;

  std::string raw_result_;
  std::optional<std::vector<Member>> members_;
  mutable std::optional<nlohmann::json> parsed_;
  std::optional<RpcError> error_;
};

}  // namespace codeloc::ipc
