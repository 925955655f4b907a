// How `codeloc check` shows a workspace: an aligned table for people and JSON for programs.
// Neither ever contains the value of an environment variable or of additional_metadata (they may
// hold secrets): only their keys.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "workspace/diagnostic.h"
#include "workspace/location_spec.h"

namespace codeloc::workspace {

// One line per location under a header, columns NAME, KIND, TARGET, WORKING DIRECTORY,
// INTERPRETER, ENV, padded to align; "-" where a column does not apply. Ends with a newline.
std::string render_table(const Workspace& workspace);

// The TARGET column: "/abs/defs.py:attr", "pkg.defs", the argv of a command, "host:port" or a
// socket path for servers.
std::string describe_target(const LocationSpec& location);

// Keys in a fixed order. {"valid": true, "files": [...], "locations": [{...}, ...]};
// docs/workspace.md shows the shape.
nlohmann::ordered_json workspace_to_json(const Workspace& workspace);

// {"valid": false, "errors": [{"file", "line", "column", "message"}, ...]}.
nlohmann::ordered_json diagnostics_to_json(const Diagnostics& diagnostics);

}  // namespace codeloc::workspace
