// Parsers for the scalar values that workspace.yaml and the daemon's settings share. They do no
// I/O and never throw: each returns the value, or nullopt and sets *error to a sentence fragment
// such as "expected a duration like 100ms, 30s or 1m, got 'soon'".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "workspace/location_spec.h"

namespace codeloc::workspace {

// "250ms", "30s", "1.5s", "2m", "1h", or a bare number of seconds ("10"). Never negative.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string* error);
// "1.5s" style text for a duration (the inverse of parse_duration, for messages and `check`).
std::string format_duration(std::chrono::milliseconds duration);

// "SIGTERM", "TERM", "sigint" or a number ("15") -> the signal number.
std::optional<int> parse_signal(std::string_view text, std::string* error);
// 15 -> "SIGTERM"; unknown numbers -> "SIG<n>".
std::string signal_name(int signal);

// "always" | "on-failure" | "never".
std::optional<RestartPolicy> parse_restart_policy(std::string_view text, std::string* error);

}  // namespace codeloc::workspace
