#include "daemon/control_methods.h"

#include <unistd.h>

#include "daemon/time_format.h"
#include "ipc/protocol.h"

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

void register_control_methods(ipc::MethodTable<ControlContext>& table) {
  table.add(ipc::method::kDaemonInfo,
            [](const json&, ControlContext& context) { return daemon_info(context); });
  table.add(ipc::method::kLocationsList,
            [](const json&, ControlContext& context) { return locations_list(context); });
}

}  // namespace codeloc::daemon
