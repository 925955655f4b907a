// Time as codeloc shows it: UTC, ISO 8601, milliseconds ("2026-11-23T20:00:01.250Z").
#pragma once

#include <chrono>
#include <string>

namespace codeloc::daemon {

std::string iso8601(std::chrono::system_clock::time_point time);

}  // namespace codeloc::daemon
