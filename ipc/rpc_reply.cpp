#include "ipc/rpc_reply.h"

namespace codeloc::ipc {

RpcReply RpcReply::success(std::string raw_result) {
  RpcReply reply;
  reply.raw_result_ = std::move(raw_result);
  return reply;
}

RpcReply RpcReply::success(std::string raw_result, std::vector<Member> members) {
  RpcReply reply = success(std::move(raw_result));
  reply.members_ = std::move(members);
  return reply;
}

std::optional<std::string_view> RpcReply::result_member(std::string_view key) const {
  for (auto it = members_->rbegin(); it != members_->rend(); ++it) {
    if (it->key == key) return std::string_view(raw_result_).substr(it->offset, it->size);
  }
  return std::nullopt;
}

RpcReply RpcReply::failure(RpcError error) {
  RpcReply reply;
  reply.error_ = std::move(error);
  return reply;
}

std::string RpcReply::take_raw_result() {
  parsed_.reset();
  members_.reset();
  return std::exchange(raw_result_, std::string());
}

const nlohmann::json& RpcReply::result() const {
  if (!parsed_) {
    nlohmann::json value = nlohmann::json::parse(raw_result_, nullptr, false);
    parsed_ = value.is_discarded() ? nlohmann::json() : std::move(value);
  }
  return *parsed_;
}

}  // namespace codeloc::ipc
