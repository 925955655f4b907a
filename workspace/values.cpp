#include "workspace/values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace codeloc::workspace {
namespace {

// glibc's sigabbrev_np ("TERM" for SIGTERM) names every signal; realtime ones have no name.
std::string abbreviation(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? abbrev : std::string();
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string* error) {
  auto fail = [&]() -> std::optional<std::chrono::milliseconds> {
    *error = "expected a duration like 100ms, 30s or 1m, got '" + std::string(text) + "'";
    return std::nullopt;
  };
  std::string s(text);
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }),
          s.end());
  if (s.empty()) return fail();
  std::size_t unit_at = s.find_first_not_of("0123456789.");
  std::string number = s.substr(0, unit_at);
  std::string unit = unit_at == std::string::npos ? "s" : s.substr(unit_at);
  if (number.empty() || std::count(number.begin(), number.end(), '.') > 1) return fail();
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value) || value < 0) return fail();
  double scale;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m" || unit == "min") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else {
    return fail();
  }
  double ms = value * scale;
  if (ms > 1e15) return fail();
  return std::chrono::milliseconds(static_cast<long long>(std::llround(ms)));
}

std::string format_duration(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  if (ms > 1000) {
    std::string s = std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1);
    while (s.back() == '0')
      s.pop_back();
    return s + "s";
  }
  return std::to_string(ms) + "ms";
}

std::optional<int> parse_signal(std::string_view text, std::string* error) {
  int number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    if (number > 0 && number < NSIG) return number;
  } else {
    std::string name = upper(text);
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    for (int signal = 1; signal < NSIG && !name.empty(); ++signal) {
      if (abbreviation(signal) == name) return signal;
    }
  }
  *error = "expected a signal name like SIGTERM or SIGINT, got '" + std::string(text) + "'";
  return std::nullopt;
}

std::string signal_name(int signal) {
  std::string abbrev = abbreviation(signal);
  return "SIG" + (abbrev.empty() ? std::to_string(signal) : abbrev);
}

std::optional<RestartPolicy> parse_restart_policy(std::string_view text, std::string* error) {
  if (text == "always") return RestartPolicy::kAlways;
  if (text == "on-failure") return RestartPolicy::kOnFailure;
  if (text == "never") return RestartPolicy::kNever;
  *error = "expected one of always, on-failure, never, got '" + std::string(text) + "'";
  return std::nullopt;
}

}  // namespace codeloc::workspace
