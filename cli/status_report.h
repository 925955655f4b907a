// `codeloc status` as people read it: an aligned table of locations, from locations.list.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace codeloc::cli {

struct TableStyle {
  bool color = false;  // ANSI colours for states (only on a terminal, never with NO_COLOR)
};

// One row per location: NAME KIND STATE PID RESTARTS SINCE VERSION, then the error (if any) on
// an indented line below its row. `now` makes SINCE ("5s", "3m", "2h", "4d") testable.
std::string render_status_table(const nlohmann::json& locations,
                                std::chrono::system_clock::time_point now, TableStyle style);

// The ANSI colour of a state: LOADED green, LOAD_ERROR red, BACKOFF yellow, STOPPED dim, the
// states in motion (STARTING, RELOADING, STOPPING) cyan.
const char* state_color(const std::string& state);

// A location's error in one line: "ValueError: bad (defs.py:7)" for a load error, else its message.
std::string error_line(const nlohmann::json& error);

// "2026-11-23T20:00:01.250Z" -> time point; nullopt when unreadable.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text);

// Whether to colour stdout: a terminal, and NO_COLOR unset or empty.
bool stdout_wants_color();

}  // namespace codeloc::cli
