// What `codeloc start|stop|restart` print: the location's state afterwards, in one line.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/status_report.h"

namespace codeloc::cli {

// "analytics: LOADED (pid 4242)", "analytics: STOPPED (exited with code 0)",
// "analytics: LOAD_ERROR: ValueError: bad (defs.py:7)". `location` is a location.get entry.
std::string render_state_line(const nlohmann::json& location, TableStyle style);

// Whether the state a waited-for start or restart settled in is a failure (LOAD_ERROR, or
// STOPPED with an error: the child crashed and is not restarted).
bool start_failed(const nlohmann::json& location);

}  // namespace codeloc::cli
