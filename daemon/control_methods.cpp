#include "daemon/control_methods.h"

#include <unistd.h>

#include "daemon/time_format.h"
#include "ipc/params.h"
#include "ipc/protocol.h"
#include "ipc/rpc_error.h"

namespace codeloc::daemon {

using nlohmann::json;

json daemon_info(const ControlContext& context) {
  json files = json::array();
  for (const auto& file : context.supervisor.workspace().files)
    files.push_back(file.string());
  return {{"name", "codeloc"},
          {"version", CODELOC_VERSION},
          {"protocol_version", ipc::kControlProtocolVersion},
          {"pid", ::getpid()},
          {"started_at", iso8601(context.started_at)},
          {"workspace_files", files},
          {"socket", context.socket.string()},
          {"locations", context.supervisor.locations().size()}};
}

json locations_list(const ControlContext& context) {
  json list = json::array();
  for (const Location* location : context.supervisor.locations()) {
    list.push_back(location->status_json());
  }
  return {{"locations", list}};
}

namespace {

const Location& require_location(const json& params, const ControlContext& context) {
  std::string name = ipc::require_string(params, "name");
  Location* location = context.supervisor.find(name);
  if (!location) {
    throw ipc::RpcError(ipc::error_code::kUnknownLocation, "no location named '" + name + "'",
                        {{"name", name}});
  }
  return *location;
}

}  // namespace

json location_get(const json& params, const ControlContext& context) {
  return require_location(params, context).status_json();
}

ipc::MethodResult location_definitions(const json& params, const ControlContext& context) {
  const Location& location = require_location(params, context);
  std::optional<std::string> if_version = ipc::optional_string(params, "if_version");
  const auto& snapshot = location.snapshot();
  if (!snapshot) {
    std::string why = location.error() ? ": " + location.error()->message : "";
    throw ipc::RpcError(ipc::error_code::kNotLoaded,
                        "location '" + location.name() + "' has no definitions (" +
                            state_name(location.state()) + why + ")",
                        {{"name", location.name()}, {"state", state_name(location.state())}});
  }
  bool stale = location.state() != LocationState::kLoaded;
  json head = {{"name", location.name()}, {"version", snapshot->version}, {"stale", stale}};
  if (if_version && *if_version == snapshot->version) {
    head["not_modified"] = true;
    return head;
  }
  head["not_modified"] = false;
  // Splice the snapshot in as received: {...head..., "definitions": <bytes>}.
  std::string text = head.dump();
  text.pop_back();
  text.reserve(text.size() + snapshot->bytes.size() + 20);
  text += ",\"definitions\":";
  text += snapshot->bytes;
  text += '}';
  return ipc::MethodResult::raw(std::move(text));
}

void register_control_methods(ipc::MethodTable<ControlContext>& table) {
  table.add(ipc::method::kDaemonInfo,
            [](const json&, ControlContext& context) { return daemon_info(context); });
  table.add(ipc::method::kLocationsList,
            [](const json&, ControlContext& context) { return locations_list(context); });
  table.add(ipc::method::kLocationGet, [](const json& params, ControlContext& context) {
    return location_get(params, context);
  });
  table.add(ipc::method::kLocationDefinitions, [](const json& params, ControlContext& context) {
    return location_definitions(params, context);
  });
}

}  // namespace codeloc::daemon
