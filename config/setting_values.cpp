#include "config/setting_values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>

namespace codeloc::config {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

std::optional<std::uint64_t> parse_digits(std::string_view digits, int base) {
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  return value;
}

constexpr std::array<std::pair<const char*, int>, 4> kSizeUnits{{
    {"", 0},
    {"k", 10},
    {"m", 20},
    {"g", 30},
}};

constexpr std::array<std::pair<const char*, spdlog::level::level_enum>, 8> kLevels{{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"warning", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"critical", spdlog::level::critical},
    {"off", spdlog::level::off},
}};

}  // namespace

std::optional<std::uint64_t> parse_byte_size(std::string_view text, std::string* error) {
  std::string s = lower(trim(text));
  std::size_t unit_at = s.find_first_not_of("0123456789");
  auto number = parse_digits(std::string_view(s).substr(0, unit_at), 10);
  std::string unit = unit_at == std::string::npos ? "" : trim(s.substr(unit_at));
  // "16mib", "16m" and "16" are accepted; a trailing "b" alone means bytes.
  if (unit.size() == 3 && unit.find_first_of("kmg") == 0 && unit.substr(1) == "ib") unit.resize(1);
  if (unit == "b") unit.clear();
  if (number) {
    for (const auto& [name, shift] : kSizeUnits) {
      if (unit != name) continue;
      if (*number > (std::numeric_limits<std::uint64_t>::max() >> shift)) break;
      return *number << shift;
    }
  }
  *error = "expected a size like 512KiB, 16MiB or 1048576, got '" + std::string(text) + "'";
  return std::nullopt;
}

std::string format_byte_size(std::uint64_t bytes) {
  static constexpr std::array<std::pair<const char*, int>, 3> kUnits{{
      {"GiB", 30},
      {"MiB", 20},
      {"KiB", 10},
  }};
  for (const auto& [name, shift] : kUnits) {
    std::uint64_t unit = std::uint64_t{1} << shift;
    if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes / unit) + name;
  }
  return std::to_string(bytes) + "B";
}

std::optional<std::uint64_t> parse_count(std::string_view text, std::uint64_t minimum,
                                         std::string* error) {
  auto value = parse_digits(trim(text), 10);
  if (value && *value >= minimum) return value;
  *error = "expected a whole number";
  if (minimum > 0) *error += " of at least " + std::to_string(minimum);
  *error += ", got '" + std::string(text) + "'";
  return std::nullopt;
}

std::optional<unsigned> parse_file_mode(std::string_view text, std::string* error) {
  std::string s = lower(trim(text));
  if (s.rfind("0o", 0) == 0) s = s.substr(2);
  auto value = parse_digits(s, 8);
  if (value && *value <= 0777) return static_cast<unsigned>(*value);
  *error = "expected an octal file mode like 0600 or 0660, got '" + std::string(text) + "'";
  return std::nullopt;
}

std::string format_file_mode(unsigned mode) {
  std::string digits = "000";
  for (int i = 2; i >= 0; --i, mode >>= 3) {
    digits[i] = static_cast<char>('0' + (mode & 7));
  }
  return "0" + digits;
}

std::optional<bool> parse_bool(std::string_view text, std::string* error) {
  std::string s = lower(trim(text));
  if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return false;
  *error = "expected true or false, got '" + std::string(text) + "'";
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text, std::string* error) {
  if (text == "human") return LogFormat::kHuman;
  if (text == "json") return LogFormat::kJson;
  if (text == "journal") return LogFormat::kJournal;
  *error = "expected one of human, json, journal, got '" + std::string(text) + "'";
  return std::nullopt;
}

const char* log_format_name(LogFormat format) {
  switch (format) {
    case LogFormat::kHuman:
      return "human";
    case LogFormat::kJson:
      return "json";
    case LogFormat::kJournal:
      return "journal";
  }
  return "human";
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text,
                                                         std::string* error) {
  std::string s = lower(trim(text));
  for (const auto& [name, level] : kLevels) {
    if (s == name) return level;
  }
  *error = "expected one of trace, debug, info, warn, error, critical, off, got '" +
           std::string(text) + "'";
  return std::nullopt;
}

std::string log_level_name(spdlog::level::level_enum level) {
  for (const auto& [name, value] : kLevels) {
    if (value == level) return name;
  }
  return "info";
}

}  // namespace codeloc::config
