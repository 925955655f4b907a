// Parsers for the value types only the daemon's settings have (durations, signals and restart
// policies are shared with workspace.yaml: workspace/values.h). Same contract: no I/O, no throw;
// each returns the value, or nullopt and sets *error to a fragment like "expected ..., got 'x'".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.h"

namespace codeloc::config {

// "1048576", "512B", "64K", "64KiB", "16M", "16MiB", "1G", "1GiB" (case-insensitive; K, M and G
// are powers of 1024, as in systemd). Decimal units ("16MB") are refused as ambiguous.
std::optional<std::uint64_t> parse_byte_size(std::string_view text, std::string* error);
// 16777216 -> "16MiB", 1000 -> "1000B": the largest unit that divides exactly.
std::string format_byte_size(std::uint64_t bytes);

// A whole number >= minimum.
std::optional<std::uint64_t> parse_count(std::string_view text, std::uint64_t minimum,
                                         std::string* error);

// Octal permission bits: "0600", "660", "0o660"; at most 0777.
std::optional<unsigned> parse_file_mode(std::string_view text, std::string* error);
// 0600 -> "0600".
std::string format_file_mode(unsigned mode);

// true/false, yes/no, on/off, 1/0 (case-insensitive).
std::optional<bool> parse_bool(std::string_view text, std::string* error);

// "human" | "json" | "journal".
std::optional<LogFormat> parse_log_format(std::string_view text, std::string* error);
const char* log_format_name(LogFormat format);

// "trace" | "debug" | "info" | "warn" (or "warning") | "error" | "critical" | "off".
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text, std::string* error);
std::string log_level_name(spdlog::level::level_enum level);

}  // namespace codeloc::config
