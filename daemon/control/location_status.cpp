#include "daemon/control/location_status.h"

#include "daemon/common/time_format.h"
#include "workspace/values.h"

namespace codeloc::daemon {

using nlohmann::json;

namespace {

json string_or_null(const std::string& text) {
  return text.empty() ? json(nullptr) : json(text);
}

}  // namespace

nlohmann::json location_status_json(const LocationStatus& status) {
  json entry;
  entry["name"] = status.name;
  entry["kind"] = workspace::kind_name(status.kind);
  entry["state"] = state_name(status.state);
  entry["pid"] = status.pid ? json(*status.pid) : json(nullptr);
  entry["restarts"] = status.restarts;
  entry["reloads"] = status.reloads;
  entry["reload_queued"] = status.reload_queued;
  entry["since"] = iso8601(status.since);
  if (const auto& exit = status.last_exit) {
    entry["last_exit"] = exit->signaled ? json{{"signal", workspace::signal_name(exit->value)}}
                                        : json{{"code", exit->value}};
  } else {
    entry["last_exit"] = nullptr;
  }
  if (status.error.empty()) {
    entry["error"] = nullptr;
  } else if (status.error_detail) {
    entry["error"] = *status.error_detail;
  } else {
    entry["error"] = {{"message", status.error}};
  }
  entry["definitions_version"] =
      status.definitions_version ? json(*status.definitions_version) : json(nullptr);
  entry["start_mode"] = string_or_null(status.start_mode);
  entry["cold_reason"] = string_or_null(status.cold_reason);
  entry["dagster_grpc"] = dagster_grpc_json(status.dagster_grpc);
  json draining = json::array();
  for (pid_t pid : status.draining)
    draining.push_back(pid);
  entry["draining"] = std::move(draining);
  return entry;
}

nlohmann::json dagster_grpc_json(const LocationStatus::DagsterGrpc& grpc) {
  using Kind = LocationStatus::DagsterGrpc::Kind;
  switch (grpc.kind) {
    case Kind::kAttached:
      if (grpc.socket) return {{"socket", *grpc.socket}};
      return {{"host", grpc.host}, {"port", grpc.port}};
    case Kind::kServed:
      return {{"socket", grpc.socket.value_or("")},
              {"published", grpc.published},
              {"error", string_or_null(grpc.error)}};
    case Kind::kNone:
      break;
  }
  return nullptr;
}

}  // namespace codeloc::daemon
