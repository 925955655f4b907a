// A location's locations.list entry (docs/protocol.md, "locations.list"), made from what the
// location knows of itself (Location::status()). Pure: the same entry answers locations.list,
// location.get, the state-changing methods and the reload results, and fills event.state.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/supervision/location.h"

namespace codeloc::daemon {

nlohmann::json location_status_json(const LocationStatus& status);
// The same, for a location as it is now.
inline nlohmann::json location_status_json(const Location& location) {
  return location_status_json(location.status());
}

// The entry's dagster_grpc field: the address of someone else's server, or the stable socket of
// the location's own with whether it is published and why not; null for none.
nlohmann::json dagster_grpc_json(const LocationStatus::DagsterGrpc& grpc);

}  // namespace codeloc::daemon
