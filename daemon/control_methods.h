// The control protocol's method handlers (docs/protocol.md, "Control protocol v1"): plain
// functions from a request's params and the state they need to a result (STYLE.md point 6).
// register_control_methods puts them in the method table; the connection code does the I/O.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/clock.h"
#include "daemon/supervisor.h"
#include "ipc/method_table.h"

namespace codeloc::daemon {

// What the handlers may read and act on. REQUIRES: everything referenced outlives the table.
struct ControlContext {
  Supervisor& supervisor;
  const Clock& clock;
  std::filesystem::path socket;
  std::chrono::system_clock::time_point started_at;
};

nlohmann::json daemon_info(const ControlContext& context);
nlohmann::json locations_list(const ControlContext& context);
// params {name}: the location's status entry.
nlohmann::json location_get(const nlohmann::json& params, const ControlContext& context);
// params {name, if_version?}: {name, version, stale, not_modified, definitions}, with the snapshot
// bytes spliced in as received (never decoded); without them when if_version matches.
ipc::MethodResult location_definitions(const nlohmann::json& params, const ControlContext& context);

void register_control_methods(ipc::MethodTable<ControlContext>& table);

}  // namespace codeloc::daemon
