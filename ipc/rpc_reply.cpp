#include "ipc/rpc_reply.h"

namespace codeloc::ipc {

RpcReply RpcReply::success(std::string raw_result) {
  RpcReply reply;
  reply.raw_result_ = std::move(raw_result);
  return reply;
}

RpcReply RpcReply::failure(RpcError error) {
  RpcReply reply;
  reply.error_ = std::move(error);
  return reply;
}

std::string RpcReply::take_raw_result() {
  parsed_.reset();
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
