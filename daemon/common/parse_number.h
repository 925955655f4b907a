// A decimal number that is the whole of `text` ("12", not "12x", " 12" or ""), as environment
// variables from a service manager carry them ($JOURNAL_STREAM, $WATCHDOG_USEC, $WATCHDOG_PID).
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace codeloc::daemon {

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace codeloc::daemon
