// What `codeloc reload` prints: the outcome of location.reload and workspace.reload, and load
// errors with their stack and chained causes (docs/protocol.md, "Load errors").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace codeloc::cli {

// One line for a location.reload result, then (on LOAD_ERROR) the error:
//   "reloaded analytics in 2.31 s: definitions changed" / "...: definitions unchanged"
//   "reload of analytics failed in 1.02 s: its code did not load" + render_load_error(error)
//   "reloaded analytics in 0.40 s: now STOPPED" for any other settled state.
std::string render_location_reload(const nlohmann::json& result);

// Whether a location.reload result means the reload failed (the CLI then exits 1).
bool reload_failed(const nlohmann::json& result);

// A load error object as a readable traceback, outermost frame first:
//   ValueError: scripted load error
//     defs.py:7 in <module>
//         raise ValueError()
//   caused by: KeyError: 'x'
//     ...
// An error with only a message (a crash, a configuration problem) is that message.
std::string render_load_error(const nlohmann::json& error);

// A workspace.reload result as an aligned list: added, removed, changed (with the fields that
// changed), unchanged; "-" for an empty one.
std::string render_workspace_reload(const nlohmann::json& result);

// The -32016 (workspace invalid) error's data: "the workspace has errors; nothing was changed"
// then each error on its own line.
std::string render_workspace_errors(const nlohmann::json& data);

// A duration in milliseconds as "2.31 s" (or "850 ms" under a second).
std::string format_duration_ms(double ms);

}  // namespace codeloc::cli
